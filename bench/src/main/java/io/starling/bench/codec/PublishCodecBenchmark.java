package io.starling.bench.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.starling.codec.CodecLimits;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.VariableByteInteger;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.Publish;
import io.starling.codec.wire.PacketDecoder;
import io.starling.codec.wire.PacketEncoder;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Decoding and encoding one QoS 1 PUBLISH with a 16-byte topic name, in MQTT 3.1.1 and 5.0 (5.0
 * with a message expiry interval and one user property), for a small and a large payload.
 *
 * <ul>
 *   <li>{@link #decode}: {@link PacketDecoder} on a pre-encoded frame body, as the transport hands
 *       it over; the decoded payload is a retained slice, released at once.
 *   <li>{@link #encodeHeaderZeroCopy}: what {@code MqttEncoder} does per subscriber, the header
 *       alone plus a retained duplicate of the shared payload.
 *   <li>{@link #encodeFullCopy}: the whole packet copied into one buffer.
 * </ul>
 *
 * <p>Buffers come from {@link PooledByteBufAllocator} (direct, with a thread cache as on the
 * broker's event loops) or from an unpooled heap allocator. Everything allocated or retained in an
 * operation is released in it.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar PublishCodec -f 1 -wi 3 -w 2s -i 5 -r 2s};
 * add {@code -p allocator=heap -prof gc} to see the bytes each operation allocates.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "-Dio.netty.leakDetection.level=disabled",
      // Event loops are FastThreadLocalThreads with a pool cache; give the benchmark thread one.
      "-Dio.netty.allocator.useCacheForAllThreads=true"
    })
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PublishCodecBenchmark {
  /** 16 bytes of UTF-8. */
  private static final String TOPIC = "sensors/room-042";

  @Param({"64", "65536"})
  int payloadBytes;

  @Param({"V3_1_1", "V5"})
  MqttVersion version;

  /**
   * {@code pooled}: pooled direct buffers, as on the broker's event loops. {@code heap}: unpooled
   * heap buffers, where {@code -prof gc} counts every byte a buffer takes.
   */
  @Param({"pooled", "heap"})
  String allocator;

  private ByteBufAllocator alloc;
  private PacketDecoder decoder;
  private Publish publish;
  private ByteBuf frame;
  private int firstByte;
  private int bodyIndex;

  @Setup(Level.Trial)
  public void setUp() {
    alloc =
        switch (allocator) {
          case "pooled" -> PooledByteBufAllocator.DEFAULT;
          case "heap" -> new UnpooledByteBufAllocator(false);
          default -> throw new IllegalArgumentException(allocator);
        };
    byte[] bytes = new byte[payloadBytes];
    new SplittableRandom(42).nextBytes(bytes);
    ByteBuf payload = alloc.buffer(payloadBytes).writeBytes(bytes);
    Properties properties =
        version.isV5()
            ? Properties.builder()
                .add(PropertyId.MESSAGE_EXPIRY_INTERVAL, 3600L)
                .userProperty("trace-id", "4bf92f3577b34da6")
                .build()
            : Properties.EMPTY;
    publish = new Publish(TOPIC, QoS.AT_LEAST_ONCE, false, false, 42, properties, payload);
    decoder = new PacketDecoder(CodecLimits.DEFAULTS);

    frame = PacketEncoder.encode(publish, version, alloc);
    firstByte = frame.readUnsignedByte();
    int remaining = VariableByteInteger.read(frame);
    if (remaining != frame.readableBytes()) {
      throw new IllegalStateException("bad frame: " + remaining + " vs " + frame.readableBytes());
    }
    bodyIndex = frame.readerIndex();
    // Check once that the frame decodes to the packet, so the benchmark measures real work.
    Publish decoded = (Publish) decoder.decode(firstByte, frame, version);
    try {
      if (!decoded.equals(publish)) {
        throw new IllegalStateException("round trip failed: " + decoded);
      }
    } finally {
      decoded.release();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    frame.release();
    publish.release();
  }

  @Benchmark
  public Object decode() {
    frame.readerIndex(bodyIndex);
    Publish decoded = (Publish) decoder.decode(firstByte, frame, version);
    decoded.release();
    return decoded.topic();
  }

  @Benchmark
  public void encodeHeaderZeroCopy(Blackhole bh) {
    ByteBuf header = PacketEncoder.encodePublishHeader(publish, version, alloc, payloadBytes);
    ByteBuf body = publish.payload().retainedDuplicate();
    bh.consume(header);
    bh.consume(body);
    header.release();
    body.release();
  }

  @Benchmark
  public void encodeFullCopy(Blackhole bh) {
    ByteBuf out = PacketEncoder.encode(publish, version, alloc);
    bh.consume(out);
    out.release();
  }
}
