package io.starling.bench.broker;

import io.netty.buffer.Unpooled;
import io.starling.broker.routing.RetainedStore;
import io.starling.codec.QoS;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Finding the retained messages for a new subscription in a store of retained messages on {@code
 * site/S/device/D/status}: an exact filter, a {@code +} filter matching 100 of them, and a {@code
 * #} filter over one site.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgs = {"-Xmx2g"})
public class RetainedBenchmark {
  @Param({"10000", "100000"})
  int retained;

  @Param({"site/7/device/42/status", "site/+/device/42/status", "site/7/#"})
  String filter;

  private RetainedStore store;

  @Setup(Level.Trial)
  public void build() {
    store = new RetainedStore();
    byte[] payload = new byte[32];
    int sites = Math.max(1, retained / 100);
    for (int i = 0; i < retained; i++) {
      store.put(
          "site/" + (i % sites) + "/device/" + (i / sites) + "/status",
          QoS.AT_LEAST_ONCE,
          Unpooled.wrappedBuffer(payload));
    }
  }

  @Benchmark
  public void match(Blackhole bh) {
    store.match(filter, bh::consume);
  }
}
