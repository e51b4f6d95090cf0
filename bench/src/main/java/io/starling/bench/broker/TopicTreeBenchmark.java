package io.starling.bench.broker;

import io.starling.broker.routing.TopicTree;
import io.starling.codec.QoS;
import java.util.Random;
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
 * Matching a topic against a subscription tree of one million filters, shaped like an IoT fleet:
 * {@code site/S/device/D/sensor} for 1000 sites and 1000 devices per site, with a share of the
 * filters using {@code +} or {@code #}.
 *
 * <pre>
 *   java -jar bench/target/benchmarks.jar TopicTreeBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgs = {"-Xmx6g", "-Xms6g"})
public class TopicTreeBenchmark {
  /** exact: only exact filters; mixed: 10% {@code +}, 1% {@code #}. */
  @Param({"exact", "mixed"})
  String shape;

  @Param({"1000000"})
  int subscriptions;

  private TopicTree<Integer, QoS> tree;
  private String[] topics;
  private int next;

  @Setup(Level.Trial)
  public void build() {
    tree = new TopicTree<>();
    Random random = new Random(42);
    boolean mixed = shape.equals("mixed");
    for (int i = 0; i < subscriptions; i++) {
      int site = i / 1000;
      int device = i % 1000;
      String filter = "site/" + site + "/device/" + device + "/temperature";
      if (mixed) {
        int r = random.nextInt(100);
        if (r < 1) {
          filter = "site/" + site + "/#";
        } else if (r < 11) {
          filter = "site/+/device/" + device + "/temperature";
        }
      }
      tree.subscribe(filter, i, QoS.AT_LEAST_ONCE);
    }
    topics = new String[4096];
    for (int i = 0; i < topics.length; i++) {
      topics[i] =
          "site/" + random.nextInt(1000) + "/device/" + random.nextInt(1000) + "/temperature";
    }
  }

  @Benchmark
  public void match(Blackhole bh) {
    String topic = topics[next++ & (topics.length - 1)];
    tree.match(topic, (s, q) -> bh.consume(s));
  }
}
