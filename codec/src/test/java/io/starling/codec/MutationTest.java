package io.starling.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.starling.codec.netty.MqttDecoder;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.RetainHandling;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.codec.packet.UnsubAck;
import io.starling.codec.packet.Unsubscribe;
import io.starling.codec.packet.Will;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Damaged input: valid packets of every type and version, bit-flipped, overwritten, cut, padded and
 * given wrong lengths by a fixed-seed random source, fed to {@link MqttDecoder} in random pieces.
 * Each stream must give packets, or a {@link DecoderException} caused by a {@link
 * MalformedPacketException}, and nothing else; whatever decodes must be a valid packet; nothing may
 * leak; and the decoder must never allocate beyond what the packet size limit allows.
 */
class MutationTest {
  private static final int MAX_PACKET_BYTES = 4096;
  private static final CodecLimits LIMITS = new CodecLimits(MAX_PACKET_BYTES, 2048, 16, 16);
  private static final int MAX_CHUNK_BYTES = 512;
  private static final long SEED = 0x5EED_2024L;
  private static final int MUTANTS = 24_000;
  private static final int RANDOM_STREAMS = 3_000;

  /** Encoded valid packets per version; the CONNECTs separately. */
  private static final Map<MqttVersion, List<byte[]>> CORPUS = new EnumMap<>(MqttVersion.class);

  private static final Map<MqttVersion, List<byte[]>> CONNECTS = new EnumMap<>(MqttVersion.class);

  @BeforeAll
  static void buildCorpus() {
    for (MqttVersion v : MqttVersion.values()) {
      List<byte[]> packets = new ArrayList<>();
      for (MqttPacket p : packets(v)) {
        packets.add(Wire.encode(p, v));
      }
      SpecVectorsTest.vectors()
          .filter(vector -> vector.version() == v && !(vector.packet() instanceof Connect))
          .forEach(vector -> packets.add(vector.bytes()));
      CORPUS.put(v, packets);
      List<byte[]> connects = new ArrayList<>();
      for (Connect c : connects(v)) {
        connects.add(Wire.encode(c, v));
      }
      CONNECTS.put(v, connects);
    }
  }

  /** CONNECTs: minimal, with everything, and with a will but no password. */
  private static List<Connect> connects(MqttVersion v) {
    boolean v5 = v.isV5();
    Properties willProperties =
        v5
            ? Properties.builder()
                .add(PropertyId.WILL_DELAY_INTERVAL, 30L)
                .add(PropertyId.PAYLOAD_FORMAT_INDICATOR, 1)
                .add(PropertyId.MESSAGE_EXPIRY_INTERVAL, 60L)
                .add(PropertyId.CONTENT_TYPE, "text/plain")
                .add(PropertyId.RESPONSE_TOPIC, "re/ply")
                .add(PropertyId.CORRELATION_DATA, BinaryData.of(new byte[] {1, 2, 3}))
                .userProperty("wk", "wv")
                .build()
            : Properties.EMPTY;
    Properties properties =
        v5
            ? Properties.builder()
                .add(PropertyId.SESSION_EXPIRY_INTERVAL, 3600L)
                .add(PropertyId.RECEIVE_MAXIMUM, 100)
                .add(PropertyId.MAXIMUM_PACKET_SIZE, 65536L)
                .add(PropertyId.TOPIC_ALIAS_MAXIMUM, 10)
                .add(PropertyId.REQUEST_RESPONSE_INFORMATION, 1)
                .add(PropertyId.REQUEST_PROBLEM_INFORMATION, 0)
                .userProperty("k", "v")
                .add(PropertyId.AUTHENTICATION_METHOD, "SCRAM-SHA-1")
                .add(PropertyId.AUTHENTICATION_DATA, BinaryData.of(new byte[] {9, 8, 7}))
                .build()
            : Properties.EMPTY;
    Will will =
        new Will(
            "will/\ud83d\ude00",
            BinaryData.of(new byte[] {0, 1}),
            QoS.EXACTLY_ONCE,
            true,
            willProperties);
    return List.of(
        new Connect(v, "c", true, 60, null, null, null, Properties.EMPTY),
        new Connect(
            v,
            "client-\u00e9\u4e2d",
            false,
            0,
            "user",
            BinaryData.of(new byte[] {'p', 'w'}),
            will,
            properties),
        new Connect(
            v,
            "",
            true,
            65535,
            "u",
            null,
            new Will("w", BinaryData.EMPTY, QoS.AT_LEAST_ONCE, false, Properties.EMPTY),
            Properties.EMPTY));
  }

  /** Every other packet type the version has, with as many fields and properties as it allows. */
  private static List<MqttPacket> packets(MqttVersion v) {
    boolean v5 = v.isV5();
    Properties publishProperties =
        v5
            ? Properties.builder()
                .add(PropertyId.PAYLOAD_FORMAT_INDICATOR, 0)
                .add(PropertyId.MESSAGE_EXPIRY_INTERVAL, 10L)
                .add(PropertyId.CONTENT_TYPE, "application/octet-stream")
                .add(PropertyId.RESPONSE_TOPIC, "re/ply")
                .add(PropertyId.CORRELATION_DATA, BinaryData.of(new byte[] {1, 2}))
                .add(PropertyId.SUBSCRIPTION_IDENTIFIER, 1)
                .add(PropertyId.SUBSCRIPTION_IDENTIFIER, 300_000)
                .add(PropertyId.TOPIC_ALIAS, 7)
                .userProperty("k", "\u00fc")
                .build()
            : Properties.EMPTY;
    Properties ackProperties =
        v5
            ? Properties.builder()
                .add(PropertyId.REASON_STRING, "why")
                .userProperty("a", "b")
                .build()
            : Properties.EMPTY;
    ReasonCode pubAckCode = v5 ? ReasonCode.QUOTA_EXCEEDED : ReasonCode.SUCCESS;
    ReasonCode pubRelCode = v5 ? ReasonCode.PACKET_IDENTIFIER_NOT_FOUND : ReasonCode.SUCCESS;
    List<MqttPacket> out = new ArrayList<>();
    out.add(new ConnAck(true, ReasonCode.SUCCESS, Properties.EMPTY));
    out.add(new ConnAck(false, ReasonCode.BAD_USER_NAME_OR_PASSWORD, Properties.EMPTY));
    if (v5) {
      out.add(
          new ConnAck(
              false,
              ReasonCode.SUCCESS,
              Properties.builder()
                  .add(PropertyId.SESSION_EXPIRY_INTERVAL, 0L)
                  .add(PropertyId.ASSIGNED_CLIENT_IDENTIFIER, "auto-1")
                  .add(PropertyId.SERVER_KEEP_ALIVE, 30)
                  .add(PropertyId.RESPONSE_INFORMATION, "info")
                  .add(PropertyId.SERVER_REFERENCE, "other")
                  .add(PropertyId.RECEIVE_MAXIMUM, 10)
                  .add(PropertyId.TOPIC_ALIAS_MAXIMUM, 5)
                  .add(PropertyId.MAXIMUM_QOS, 1)
                  .add(PropertyId.RETAIN_AVAILABLE, 0)
                  .add(PropertyId.MAXIMUM_PACKET_SIZE, 4096L)
                  .add(PropertyId.WILDCARD_SUBSCRIPTION_AVAILABLE, 1)
                  .add(PropertyId.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 1)
                  .add(PropertyId.SHARED_SUBSCRIPTION_AVAILABLE, 0)
                  .build()));
      out.add(
          publish(
              "",
              QoS.AT_MOST_ONCE,
              false,
              false,
              0,
              Properties.builder().add(PropertyId.TOPIC_ALIAS, 7).build(),
              10));
      out.add(new Disconnect(ReasonCode.SERVER_MOVED, ackProperties));
      out.add(
          new Auth(
              ReasonCode.CONTINUE_AUTHENTICATION,
              Properties.builder()
                  .add(PropertyId.AUTHENTICATION_METHOD, "SCRAM-SHA-1")
                  .add(PropertyId.AUTHENTICATION_DATA, BinaryData.of(new byte[] {1}))
                  .build()));
    }
    out.add(publish("a/b", QoS.AT_MOST_ONCE, false, false, 0, Properties.EMPTY, 0));
    out.add(publish("a/b/c", QoS.AT_LEAST_ONCE, true, false, 1, publishProperties, 12));
    out.add(
        publish(
            "\u00e9t\u00e9/\ud83d\ude00",
            QoS.EXACTLY_ONCE,
            true,
            true,
            65535,
            publishProperties,
            300));
    out.add(publish("big", QoS.AT_LEAST_ONCE, false, false, 2, Properties.EMPTY, 1400));
    out.add(new PubAck(1, pubAckCode, ackProperties));
    out.add(new PubRec(2, pubAckCode, ackProperties));
    out.add(new PubRel(3, pubRelCode, ackProperties));
    out.add(new PubComp(4, pubRelCode, ackProperties));
    out.add(PubAck.of(0xFFFF));
    Subscription first =
        v5
            ? new Subscription("a/+/c", QoS.AT_LEAST_ONCE, true, true, RetainHandling.DO_NOT_SEND)
            : Subscription.of("a/+/c", QoS.AT_LEAST_ONCE);
    out.add(
        new Subscribe(
            7,
            List.of(
                first,
                Subscription.of(v5 ? "$share/g/#" : "#", QoS.EXACTLY_ONCE),
                Subscription.of("\u00e9/+", QoS.AT_MOST_ONCE)),
            v5
                ? Properties.builder()
                    .add(PropertyId.SUBSCRIPTION_IDENTIFIER, 42)
                    .userProperty("s", "t")
                    .build()
                : Properties.EMPTY));
    out.add(
        new SubAck(
            7,
            List.of(
                ReasonCode.GRANTED_QOS_1,
                ReasonCode.GRANTED_QOS_2,
                ReasonCode.SUCCESS,
                ReasonCode.UNSPECIFIED_ERROR),
            ackProperties));
    out.add(
        new Unsubscribe(
            8,
            List.of("a/+/c", "#", "x"),
            v5 ? Properties.builder().userProperty("u", "v").build() : Properties.EMPTY));
    out.add(
        new UnsubAck(
            8,
            v5 ? List.of(ReasonCode.SUCCESS, ReasonCode.NO_SUBSCRIPTION_EXISTED) : List.of(),
            ackProperties));
    out.add(PingReq.INSTANCE);
    out.add(PingResp.INSTANCE);
    out.add(Disconnect.NORMAL);
    return out;
  }

  private static Publish publish(
      String topic,
      QoS qos,
      boolean retain,
      boolean dup,
      int packetId,
      Properties properties,
      int payloadBytes) {
    byte[] payload = new byte[payloadBytes];
    new Random(payloadBytes).nextBytes(payload);
    return new Publish(
        topic, qos, retain, dup, packetId, properties, Unpooled.wrappedBuffer(payload));
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void mutantsDecodeOrFailWithMalformedPacketOnly() {
    Random random = new Random(SEED);
    Tally tally = new Tally();
    for (int i = 0; i < MUTANTS; i++) {
      MqttVersion v = MqttVersion.values()[random.nextInt(3)];
      boolean server = random.nextBoolean();
      byte[] stream = mutate(stream(v, server, random), random);
      feed(stream, server ? null : v, random, tally);
    }
    // The mutants reach both outcomes in quantity, so neither check above was vacuous.
    assertThat(tally.refused).isGreaterThan(MUTANTS / 4);
    assertThat(tally.packets).isGreaterThan(MUTANTS / 4);
    assertThat(tally.byReason)
        .containsKeys(
            ReasonCode.MALFORMED_PACKET, ReasonCode.PROTOCOL_ERROR, ReasonCode.PACKET_TOO_LARGE);
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void randomBytesDecodeOrFailWithMalformedPacketOnly() {
    Random random = new Random(SEED + 1);
    Tally tally = new Tally();
    for (int i = 0; i < RANDOM_STREAMS; i++) {
      byte[] stream = new byte[random.nextInt(200)];
      random.nextBytes(stream);
      boolean server = random.nextBoolean();
      if (!server && stream.length > 0) {
        // A valid packet type and flags more often than chance would give.
        stream[0] = (byte) ((1 + random.nextInt(15)) << 4 | (random.nextInt(4) == 0 ? 2 : 0));
      }
      feed(stream, server ? null : MqttVersion.values()[random.nextInt(3)], random, tally);
    }
    assertThat(tally.refused).isPositive();
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void longStreamOfPacketsKeepsTheBufferBounded() {
    Random random = new Random(SEED + 2);
    TrackingAllocator alloc = new TrackingAllocator();
    EmbeddedChannel channel = new EmbeddedChannel(MqttDecoder.forServer(LIMITS));
    channel.config().setAllocator(alloc);
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.writeBytes(CONNECTS.get(MqttVersion.V5).get(0));
    List<byte[]> corpus = CORPUS.get(MqttVersion.V5);
    while (stream.size() < 2_000_000) {
      stream.writeBytes(corpus.get(random.nextInt(corpus.size())));
    }
    byte[] bytes = stream.toByteArray();
    int decoded = 0;
    for (int from = 0; from < bytes.length; ) {
      int to = Math.min(bytes.length, from + 1 + random.nextInt(MAX_CHUNK_BYTES));
      channel.writeInbound(alloc.copyOf(bytes, from, to));
      from = to;
      for (Object o; (o = channel.readInbound()) != null; decoded++) {
        ReferenceCountUtil.release(o);
      }
    }
    channel.finishAndReleaseAll();

    assertThat(decoded).isGreaterThan(1000);
    assertThat(alloc.largestArrayBytes())
        .as("largest buffer while decoding %d bytes", bytes.length)
        .isLessThanOrEqualTo(bufferBound());
    assertThat(alloc.unreleased()).isEmpty();
  }

  // ---- one stream ---------------------------------------------------------------------------

  /** Counts of what the streams gave. */
  private static final class Tally {
    int packets;
    int refused;
    final Map<ReasonCode, Integer> byReason = new EnumMap<>(ReasonCode.class);
  }

  /**
   * Feeds a stream in random pieces to a fresh decoder on a fresh tracking allocator, and checks
   * everything this class promises about the outcome.
   */
  private static void feed(byte[] stream, MqttVersion clientVersion, Random random, Tally tally) {
    TrackingAllocator alloc = new TrackingAllocator();
    MqttDecoder decoder =
        clientVersion == null
            ? MqttDecoder.forServer(LIMITS)
            : MqttDecoder.forClient(LIMITS, clientVersion);
    EmbeddedChannel channel = new EmbeddedChannel(decoder);
    channel.config().setAllocator(alloc);
    List<Object> decoded = new ArrayList<>();
    Throwable failure = null;
    try {
      for (int from = 0; from < stream.length; ) {
        int to = Math.min(stream.length, from + 1 + random.nextInt(MAX_CHUNK_BYTES));
        // Packets decoded in the same read as the fault come before it, and are passed on.
        boolean failedBefore = failure != null;
        try {
          channel.writeInbound(alloc.copyOf(stream, from, to));
        } catch (Throwable t) {
          if (failure != null) {
            fail("a second exception after the decoder had failed", t);
          }
          failure = t;
        }
        from = to;
        for (Object o; (o = channel.readInbound()) != null; ) {
          decoded.add(o);
          if (failedBefore) {
            fail("decoded " + o + " after the decoder had failed");
          }
        }
      }
      if (failure != null) {
        if (!(failure instanceof DecoderException)
            || !(failure.getCause() instanceof MalformedPacketException)) {
          throw new AssertionError(
              "not a MalformedPacketException for " + Bytes.toHex(stream), failure);
        }
        tally.refused++;
        tally.byReason.merge(
            ((MalformedPacketException) failure.getCause()).reasonCode(), 1, Integer::sum);
      }
      for (Object o : decoded) {
        tally.packets++;
        assertIsValid((MqttPacket) o, decoder.version(), stream);
      }
    } finally {
      decoded.forEach(ReferenceCountUtil::release);
      channel.finishAndReleaseAll();
    }
    if (!alloc.unreleased().isEmpty()) {
      fail("leaked " + alloc.unreleased() + " decoding " + Bytes.toHex(stream));
    }
    if (alloc.largestArrayBytes() > bufferBound()) {
      fail("allocated " + alloc.largestArrayBytes() + " bytes decoding " + Bytes.toHex(stream));
    }
  }

  /**
   * A decoded packet must be one the encoder can write within the limit, and that decodes back to
   * itself: the decoder let nothing invalid through.
   */
  private static void assertIsValid(MqttPacket packet, MqttVersion version, byte[] stream) {
    MqttVersion v = packet instanceof Connect c ? c.version() : version;
    if (packet instanceof Publish p) {
      assertThat(p.payload().readableBytes()).isLessThanOrEqualTo(MAX_PACKET_BYTES);
    }
    byte[] again;
    try {
      again = Wire.encode(packet, v);
    } catch (RuntimeException e) {
      throw new AssertionError("cannot re-encode " + packet + " from " + Bytes.toHex(stream), e);
    }
    assertThat(again.length).isLessThanOrEqualTo(MAX_PACKET_BYTES);
    MqttPacket back = Wire.decodeFrame(again, packet instanceof Connect ? null : v, LIMITS);
    try {
      assertThat(back).as("from %s", Bytes.toHex(stream)).isEqualTo(packet);
    } finally {
      ReferenceCountUtil.release(back);
    }
  }

  /**
   * The most the cumulation may ever take: one packet at the limit plus one piece of input, doubled
   * for read bytes not yet discarded, doubled again for power-of-two growth.
   */
  private static int bufferBound() {
    return 4 * (MAX_PACKET_BYTES + MAX_CHUNK_BYTES);
  }

  // ---- making mutants -----------------------------------------------------------------------

  /** One to three valid packets of a version; in server mode a CONNECT first. */
  private static byte[] stream(MqttVersion v, boolean server, Random random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (server) {
      List<byte[]> connects = CONNECTS.get(v);
      out.writeBytes(connects.get(random.nextInt(connects.size())));
    }
    List<byte[]> corpus = CORPUS.get(v);
    int count = server ? random.nextInt(3) : 1 + random.nextInt(3);
    for (int i = 0; i < count; i++) {
      out.writeBytes(corpus.get(random.nextInt(corpus.size())));
    }
    return out.toByteArray();
  }

  private static final int[] INTERESTING = {0x00, 0x01, 0x02, 0x7F, 0x80, 0xC0, 0xFF, 0x23, 0x2B};

  /** One to three random mutations. */
  static byte[] mutate(byte[] in, Random random) {
    byte[] b = in;
    int rounds = 1 + random.nextInt(3);
    for (int r = 0; r < rounds && b.length > 0; r++) {
      int at = random.nextInt(b.length);
      b =
          switch (random.nextInt(8)) {
            case 0 -> flipBit(b, at, random.nextInt(8));
            case 1 ->
                replace(
                    b,
                    at,
                    random.nextBoolean()
                        ? random.nextInt(256)
                        : INTERESTING[random.nextInt(INTERESTING.length)]);
            case 2 -> Arrays.copyOf(b, at);
            case 3 -> insert(b, at, randomBytes(1 + random.nextInt(8), random));
            case 4 -> delete(b, at, 1 + random.nextInt(8));
            case 5 -> tweakTwoByteLength(b, at, random);
            case 6 -> tweakRemainingLength(b, random);
            default -> insert(b, at, slice(b, random));
          };
    }
    return b;
  }

  private static byte[] flipBit(byte[] b, int at, int bit) {
    byte[] out = b.clone();
    out[at] ^= (byte) (1 << bit);
    return out;
  }

  private static byte[] replace(byte[] b, int at, int value) {
    byte[] out = b.clone();
    out[at] = (byte) value;
    return out;
  }

  private static byte[] insert(byte[] b, int at, byte[] what) {
    return Bytes.concat(Arrays.copyOfRange(b, 0, at), what, Arrays.copyOfRange(b, at, b.length));
  }

  private static byte[] delete(byte[] b, int at, int count) {
    int end = Math.min(b.length, at + count);
    return Bytes.concat(Arrays.copyOfRange(b, 0, at), Arrays.copyOfRange(b, end, b.length));
  }

  private static byte[] slice(byte[] b, Random random) {
    int from = random.nextInt(b.length);
    int to = Math.min(b.length, from + 1 + random.nextInt(16));
    return Arrays.copyOfRange(b, from, to);
  }

  private static byte[] randomBytes(int count, Random random) {
    byte[] out = new byte[count];
    random.nextBytes(out);
    return out;
  }

  /** Treats two bytes as a string, binary or packet id length field and nudges or breaks it. */
  private static byte[] tweakTwoByteLength(byte[] b, int at, Random random) {
    if (at + 1 >= b.length) {
      return b;
    }
    int value = (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
    int[] choices = {value + 1, value - 1, value + 2, value - 3, 0, 0xFFFF, 0x8000};
    int next = choices[random.nextInt(choices.length)] & 0xFFFF;
    byte[] out = b.clone();
    out[at] = (byte) (next >> 8);
    out[at + 1] = (byte) next;
    return out;
  }

  /**
   * Rewrites the remaining length of the first packet: off by a little, or huge, or non-minimal.
   */
  private static byte[] tweakRemainingLength(byte[] b, Random random) {
    if (b.length < 2) {
      return b;
    }
    int end = 1;
    int value = 0;
    for (int shift = 0; end < b.length && end <= 4; end++, shift += 7) {
      value |= (b[end] & 0x7F) << shift;
      if ((b[end] & 0x80) == 0) {
        end++;
        break;
      }
    }
    byte[] length =
        switch (random.nextInt(5)) {
          case 0 -> Bytes.varInt(Math.max(0, value + 1 + random.nextInt(3)));
          case 1 -> Bytes.varInt(Math.max(0, value - 1 - random.nextInt(3)));
          case 2 -> Bytes.hex("FF FF FF 7F");
          case 3 -> Bytes.concat(Bytes.hex("80"), Bytes.varInt(value)); // not minimal, or wrong
          default -> Bytes.varInt(MAX_PACKET_BYTES + random.nextInt(10));
        };
    return Bytes.concat(Arrays.copyOfRange(b, 0, 1), length, Arrays.copyOfRange(b, end, b.length));
  }
}
