package io.starling.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.starling.codec.PacketArbitraries.Sample;
import io.starling.codec.netty.MqttDecoder;
import io.starling.codec.netty.MqttEncoder;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Publish;
import io.starling.codec.wire.PacketDecoder;
import io.starling.codec.wire.PacketEncoder;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Any valid packet, in every version that can carry it, survives encode then decode unchanged:
 * through {@link PacketDecoder} on the whole frame, and through {@link MqttDecoder} fed in chunks,
 * with every buffer released afterwards. {@link MqttEncoder} writes the same bytes as {@link
 * PacketEncoder}.
 */
class RoundTripTest {

  @Property(tries = 300)
  void connect(
      @ForAll("connects") Connect connect, @ForAll @IntRange(min = 1, max = 64) int chunkBytes) {
    assertRoundTrip(connect.version(), connect, chunkBytes);
  }

  @Property(tries = 200)
  void connAck(@ForAll("connAcks") Sample s, @ForAll @IntRange(min = 1, max = 64) int chunkBytes) {
    assertRoundTrip(s.version(), s.packet(), chunkBytes);
  }

  @Property(tries = 300)
  void publish(@ForAll("publishes") Sample s, @ForAll @IntRange(min = 1, max = 64) int chunkBytes) {
    Publish publish = (Publish) s.packet();
    byte[] bytes = assertRoundTrip(s.version(), publish, chunkBytes);
    assertThat(PacketEncoder.publishSize(publish, s.version())).isEqualTo(bytes.length);

    // The zero-copy path: header, then the payload as it is.
    int payloadBytes = publish.payload().readableBytes();
    ByteBuf header =
        PacketEncoder.encodePublishHeader(publish, s.version(), Wire.HEAP_FOR_TESTS, payloadBytes);
    try {
      assertThat(
              Bytes.concat(ByteBufUtil.getBytes(header), ByteBufUtil.getBytes(publish.payload())))
          .isEqualTo(bytes);
      assertThat(header.capacity())
          .as("the header buffer holds the header only; the payload is not copied")
          .isEqualTo(header.readableBytes());
    } finally {
      header.release();
    }
    assertThat(publish.refCnt()).as("the encoder releases what it retained").isEqualTo(1);
    assertThat(publish.payload().readableBytes()).as("payload left unread").isEqualTo(payloadBytes);
  }

  @Property(tries = 200)
  void pubAckPubRecPubRelPubComp(
      @ForAll("acks") Sample s, @ForAll @IntRange(min = 1, max = 8) int chunkBytes) {
    assertRoundTrip(s.version(), s.packet(), chunkBytes);
  }

  @Property(tries = 200)
  void subscribe(
      @ForAll("subscribes") Sample s, @ForAll @IntRange(min = 1, max = 64) int chunkBytes) {
    assertRoundTrip(s.version(), s.packet(), chunkBytes);
  }

  @Property(tries = 200)
  void subAck(@ForAll("subAcks") Sample s, @ForAll @IntRange(min = 1, max = 64) int chunkBytes) {
    assertRoundTrip(s.version(), s.packet(), chunkBytes);
  }

  @Property(tries = 200)
  void unsubscribe(
      @ForAll("unsubscribes") Sample s, @ForAll @IntRange(min = 1, max = 64) int chunkBytes) {
    assertRoundTrip(s.version(), s.packet(), chunkBytes);
  }

  @Property(tries = 200)
  void unsubAck(
      @ForAll("unsubAcks") Sample s, @ForAll @IntRange(min = 1, max = 64) int chunkBytes) {
    assertRoundTrip(s.version(), s.packet(), chunkBytes);
  }

  @Property
  void pingReqAndPingResp(@ForAll MqttVersion version, @ForAll boolean request) {
    assertRoundTrip(version, request ? PingReq.INSTANCE : PingResp.INSTANCE, 1);
  }

  @Property(tries = 200)
  void disconnect(
      @ForAll("disconnects") Sample s, @ForAll @IntRange(min = 1, max = 64) int chunkBytes) {
    assertRoundTrip(s.version(), s.packet(), chunkBytes);
  }

  @Property(tries = 200)
  void auth(@ForAll("auths") Auth auth, @ForAll @IntRange(min = 1, max = 64) int chunkBytes) {
    assertRoundTrip(MqttVersion.V5, auth, chunkBytes);
  }

  // ---- checks -------------------------------------------------------------------------------

  /** Asserts both decoding paths give the packet back, and returns its encoding. */
  private static byte[] assertRoundTrip(MqttVersion version, MqttPacket packet, int chunkBytes) {
    byte[] bytes = Wire.encode(packet, version);
    ByteBuf encoded = PacketEncoder.encode(packet, version, Wire.HEAP_FOR_TESTS);
    try {
      assertThat(encoded.capacity())
          .as("sizes are computed first: one buffer of exactly the packet's size")
          .isEqualTo(encoded.readableBytes());
    } finally {
      encoded.release();
    }
    assertThat(encodeWithMqttEncoder(packet, version)).isEqualTo(bytes);

    boolean connect = packet instanceof Connect;
    // A server decodes CONNECT before it knows the version.
    MqttPacket direct = Wire.decodeFrame(bytes, connect ? null : version, Wire.LARGE);
    try {
      assertThat(direct).isEqualTo(packet);
    } finally {
      ReferenceCountUtil.release(direct);
    }

    TrackingAllocator alloc = new TrackingAllocator();
    MqttDecoder decoder =
        connect ? MqttDecoder.forServer(Wire.LARGE) : MqttDecoder.forClient(Wire.LARGE, version);
    EmbeddedChannel channel = new EmbeddedChannel(decoder);
    channel.config().setAllocator(alloc);
    List<Object> decoded = new ArrayList<>();
    try {
      // Big packets go in at most 64 pieces, to keep the test fast.
      int chunk = Math.max(chunkBytes, bytes.length / 64);
      for (int from = 0; from < bytes.length; from += chunk) {
        channel.writeInbound(alloc.copyOf(bytes, from, Math.min(bytes.length, from + chunk)));
        for (Object o; (o = channel.readInbound()) != null; ) {
          decoded.add(o);
        }
      }
      assertThat(decoded).containsExactly(packet);
      assertThat(decoder.version()).isEqualTo(version);
    } finally {
      decoded.forEach(ReferenceCountUtil::release);
      channel.finishAndReleaseAll();
    }
    assertThat(alloc.unreleased()).as("buffers not released").isEmpty();
    return bytes;
  }

  /** What {@link MqttEncoder} writes, all buffers joined; it must release what it was given. */
  private static byte[] encodeWithMqttEncoder(MqttPacket packet, MqttVersion version) {
    EmbeddedChannel channel = new EmbeddedChannel(MqttEncoder.of(version));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      // The encoder releases the packet; keep the caller's reference.
      ReferenceCountUtil.retain(packet);
      channel.writeOutbound(packet);
      for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
        out.writeBytes(ByteBufUtil.getBytes(b));
        b.release();
      }
    } finally {
      channel.finishAndReleaseAll();
    }
    return out.toByteArray();
  }

  // ---- generators ---------------------------------------------------------------------------

  @Provide
  Arbitrary<Connect> connects() {
    return PacketArbitraries.connects();
  }

  @Provide
  Arbitrary<Sample> connAcks() {
    return PacketArbitraries.connAcks();
  }

  @Provide
  Arbitrary<Sample> publishes() {
    return PacketArbitraries.publishes();
  }

  @Provide
  Arbitrary<Sample> acks() {
    return PacketArbitraries.acks();
  }

  @Provide
  Arbitrary<Sample> subscribes() {
    return PacketArbitraries.subscribes();
  }

  @Provide
  Arbitrary<Sample> subAcks() {
    return PacketArbitraries.subAcks();
  }

  @Provide
  Arbitrary<Sample> unsubscribes() {
    return PacketArbitraries.unsubscribes();
  }

  @Provide
  Arbitrary<Sample> unsubAcks() {
    return PacketArbitraries.unsubAcks();
  }

  @Provide
  Arbitrary<Sample> disconnects() {
    return PacketArbitraries.disconnects();
  }

  @Provide
  Arbitrary<Auth> auths() {
    return PacketArbitraries.auths();
  }
}
