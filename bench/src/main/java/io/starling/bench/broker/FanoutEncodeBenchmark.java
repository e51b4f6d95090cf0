package io.starling.bench.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Publish;
import io.starling.codec.wire.PacketEncoder;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding one message for 100 subscribers, each with its own packet id: the broker's way (a small
 * header per subscriber plus a shared duplicate of the payload) against copying the whole packet
 * per subscriber. Scores are operations per second, one operation being all 100.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FanoutEncodeBenchmark {
  private static final int SUBSCRIBERS = 100;

  @Param({"64", "4096"})
  int payloadBytes;

  private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
  private Publish message;

  @Setup(Level.Trial)
  public void setUp() {
    ByteBuf payload = alloc.directBuffer(payloadBytes).writeZero(payloadBytes);
    message =
        new Publish(
            "site/7/device/42/temperature",
            QoS.AT_LEAST_ONCE,
            false,
            false,
            1,
            Properties.EMPTY,
            payload);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    message.release();
  }

  @Benchmark
  public int sharedPayload() {
    int bytes = 0;
    for (int i = 1; i <= SUBSCRIBERS; i++) {
      Publish p = message.withDelivery(QoS.AT_LEAST_ONCE, false, false, i);
      ByteBuf header =
          PacketEncoder.encodePublishHeader(p, MqttVersion.V3_1_1, alloc, payloadBytes);
      ByteBuf body = p.payload().retainedDuplicate();
      bytes += header.readableBytes() + body.readableBytes();
      header.release();
      body.release();
    }
    return bytes;
  }

  @Benchmark
  public int copiedPayload() {
    int bytes = 0;
    for (int i = 1; i <= SUBSCRIBERS; i++) {
      Publish p = message.withDelivery(QoS.AT_LEAST_ONCE, false, false, i);
      ByteBuf whole = PacketEncoder.encode(p, MqttVersion.V3_1_1, alloc);
      bytes += whole.readableBytes();
      whole.release();
    }
    return bytes;
  }
}
