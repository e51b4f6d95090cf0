package io.starling.codec;

import static io.starling.codec.Bytes.concat;
import static io.starling.codec.Bytes.frame;
import static io.starling.codec.Bytes.hex;
import static io.starling.codec.Bytes.lengthPrefixed;
import static io.starling.codec.Bytes.props;
import static io.starling.codec.Bytes.str;
import static io.starling.codec.Bytes.u16;
import static io.starling.codec.ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR;
import static io.starling.codec.ReasonCode.MALFORMED_PACKET;
import static io.starling.codec.ReasonCode.PACKET_TOO_LARGE;
import static io.starling.codec.ReasonCode.PROTOCOL_ERROR;
import static io.starling.codec.ReasonCode.TOPIC_ALIAS_INVALID;
import static io.starling.codec.ReasonCode.TOPIC_FILTER_INVALID;
import static io.starling.codec.ReasonCode.TOPIC_NAME_INVALID;
import static io.starling.codec.ReasonCode.UNSUPPORTED_PROTOCOL_VERSION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.starling.codec.netty.MqttDecoder;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Publish;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed input, one fault per case, each with the exact reason code the decoder must refuse it
 * with, and for CONNECT the MQTT 3.1.1 CONNACK return code that code maps to. Every case goes
 * through {@link MqttDecoder} as a server would see it: either as the first packet, or after a
 * valid CONNECT of the named version.
 */
class MalformedInputTest {
  /** 4 KiB packets, 2 KiB before CONNECT, 4 user properties, 8 topic filters. */
  private static final CodecLimits LIMITS = new CodecLimits(4096, 2048, 4, 8);

  private static final MqttVersion V31 = MqttVersion.V3_1;
  private static final MqttVersion V311 = MqttVersion.V3_1_1;
  private static final MqttVersion V5 = MqttVersion.V5;

  /**
   * One malformed input.
   *
   * @param after the version of the valid CONNECT sent first, or {@code null} when the bytes are
   *     the first thing on the connection
   * @param v3ReturnCode for a refused CONNECT, the 3.1.1 return code; otherwise {@code null}
   */
  record Case(
      String name, MqttVersion after, byte[] bytes, ReasonCode expected, Integer v3ReturnCode) {
    @Override
    public String toString() {
      return name + " -> " + expected;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void isRefusedWithTheExactReasonCode(Case c) {
    EmbeddedChannel channel = new EmbeddedChannel(MqttDecoder.forServer(LIMITS));
    try {
      if (c.after() != null) {
        channel.writeInbound(Unpooled.wrappedBuffer(validConnect(c.after())));
        Object connect = channel.readInbound();
        assertThat(connect).isInstanceOf(Connect.class);
      }

      Throwable thrown =
          catchThrowable(() -> channel.writeInbound(Unpooled.wrappedBuffer(c.bytes())));

      assertThat(thrown)
          .as("%s: %s", c.name(), Bytes.toHex(c.bytes()))
          .isExactlyInstanceOf(DecoderException.class)
          .cause()
          .isExactlyInstanceOf(MalformedPacketException.class);
      MalformedPacketException e = (MalformedPacketException) thrown.getCause();
      assertThat(e.reasonCode()).as("%s (%s)", c.name(), e.getMessage()).isEqualTo(c.expected());
      if (c.v3ReturnCode() != null) {
        assertThat(e.isConnect()).isTrue();
        assertThat(e.v3ConnectReturnCode()).isEqualTo(c.v3ReturnCode());
      } else {
        assertThat(e.isConnect()).isFalse();
        assertThat(e.version()).isEqualTo(c.after());
      }
      Object decoded = channel.readInbound();
      assertThat(decoded).as("nothing decoded").isNull();

      // After a fault the decoder throws nothing more and decodes nothing more.
      channel.writeInbound(Unpooled.wrappedBuffer(hex("C0 00")));
      Object after = channel.readInbound();
      assertThat(after).isNull();
    } finally {
      channel.finishAndReleaseAll();
    }
  }

  @Test
  void tooLargeFailsOnTheFixedHeaderAlone() {
    TrackingAllocator alloc = new TrackingAllocator();
    EmbeddedChannel channel = new EmbeddedChannel(MqttDecoder.forServer(LIMITS));
    channel.config().setAllocator(alloc);
    byte[] connect = validConnect(V311);
    channel.writeInbound(alloc.copyOf(connect, 0, connect.length));
    Object decoded = channel.readInbound();
    assertThat(decoded).isInstanceOf(Connect.class);

    byte[] header = hex("30 FF FF FF 7F"); // PUBLISH, remaining length 268,435,455
    Throwable thrown = catchThrowable(() -> channel.writeInbound(alloc.copyOf(header, 0, 5)));

    assertThat(thrown).cause().isInstanceOf(MalformedPacketException.class);
    assertThat(((MalformedPacketException) thrown.getCause()).reasonCode())
        .isEqualTo(PACKET_TOO_LARGE);
    // The body that follows is dropped as it arrives.
    byte[] junk = new byte[1000];
    for (int i = 0; i < 100; i++) {
      channel.writeInbound(alloc.copyOf(junk, 0, junk.length));
    }
    assertThat(alloc.largestArrayBytes()).isLessThanOrEqualTo(junk.length);
    channel.finishAndReleaseAll();
    assertThat(alloc.unreleased()).isEmpty();
  }

  @Test
  void packetOfExactlyTheLimitIsAccepted() {
    EmbeddedChannel channel = new EmbeddedChannel(MqttDecoder.forServer(LIMITS));
    channel.writeInbound(Unpooled.wrappedBuffer(validConnect(V311)));
    Object connect = channel.readInbound();
    assertThat(connect).isInstanceOf(Connect.class);
    // 1 + 2 bytes of fixed header, 3 of topic name, 4090 of payload: 4096 in all.
    byte[] packet = frame(0x30, str("t"), new byte[4090]);
    assertThat(packet).hasSize(LIMITS.maxPacketSizeBytes());

    channel.writeInbound(Unpooled.wrappedBuffer(packet));

    Publish publish = channel.readInbound();
    assertThat(publish.payload().readableBytes()).isEqualTo(4090);
    publish.release();
    channel.finishAndReleaseAll();
  }

  @Test
  void everyCaseIsAlsoRefusedByThePacketDecoderAlone() {
    // The same bytes without Netty: read the fixed header here, then PacketDecoder.
    for (Case c : cases().toList()) {
      if (c.expected() == PACKET_TOO_LARGE || !isWholeFrame(c.bytes())) {
        continue;
      }
      Throwable thrown = catchThrowable(() -> Wire.decodeFrame(c.bytes(), c.after(), LIMITS));
      assertThat(thrown).as(c.name()).isExactlyInstanceOf(MalformedPacketException.class);
      assertThat(((MalformedPacketException) thrown).reasonCode())
          .as(c.name())
          .isEqualTo(c.expected());
    }
  }

  @Test
  void thereAreAtLeastSeventyCases() {
    assertThat(cases().count()).isGreaterThanOrEqualTo(70);
  }

  // ---- the cases ----------------------------------------------------------------------------

  static Stream<Case> cases() {
    List<Case> all = new ArrayList<>();
    fixedHeader(all);
    connect(all);
    publish(all);
    acknowledgements(all);
    connAck(all);
    subscribe(all);
    unsubscribeAndAcks(all);
    emptyBodies(all);
    return all.stream();
  }

  private static void fixedHeader(List<Case> all) {
    all.add(
        connect(
            "CONNECT with flags 0001",
            frame(0x11, str("MQTT"), hex("04 02 00 3C"), str("c")),
            MALFORMED_PACKET,
            3));
    all.add(refused("CONNACK with flags 0001", V311, frame(0x21, hex("00 00")), MALFORMED_PACKET));
    all.add(refused("PUBACK with flags 0010", V311, frame(0x42, u16(1)), MALFORMED_PACKET));
    all.add(refused("PUBREC with flags 1000", V5, frame(0x58, u16(1)), MALFORMED_PACKET));
    all.add(refused("PUBREL with flags 0000", V311, frame(0x60, u16(1)), MALFORMED_PACKET));
    all.add(refused("PUBREL with DUP in 3.1.1", V311, frame(0x6A, u16(1)), MALFORMED_PACKET));
    all.add(refused("PUBCOMP with flags 0001", V5, frame(0x71, u16(1)), MALFORMED_PACKET));
    all.add(
        refused(
            "SUBSCRIBE with flags 0000",
            V311,
            frame(0x80, u16(1), str("a"), hex("00")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "SUBSCRIBE with DUP in 5.0",
            V5,
            frame(0x8A, u16(1), hex("00"), str("a"), hex("00")),
            MALFORMED_PACKET));
    all.add(
        refused("SUBACK with flags 0010", V311, frame(0x92, u16(1), hex("00")), MALFORMED_PACKET));
    all.add(
        refused(
            "UNSUBSCRIBE with flags 0000", V311, frame(0xA0, u16(1), str("a")), MALFORMED_PACKET));
    all.add(refused("UNSUBACK with flags 0100", V311, frame(0xB4, u16(1)), MALFORMED_PACKET));
    all.add(refused("PINGREQ with flags 0001", V311, hex("C1 00"), MALFORMED_PACKET));
    all.add(refused("PINGRESP with flags 1000", V5, hex("D8 00"), MALFORMED_PACKET));
    all.add(refused("DISCONNECT with flags 0010", V311, hex("E2 00"), MALFORMED_PACKET));
    all.add(refused("AUTH with flags 0001", V5, hex("F1 00"), MALFORMED_PACKET));
    all.add(refused("packet type 0 in 3.1.1", V311, hex("00 00"), MALFORMED_PACKET));
    all.add(refused("packet type 0 in 5.0", V5, hex("0F 00"), MALFORMED_PACKET));
    all.add(refused("packet type 0 as the first packet", null, hex("00 00"), MALFORMED_PACKET));
    // Known after one byte: no waiting for the length an HTTP request's second byte seems to say.
    all.add(
        refused(
            "an HTTP request as the first packet",
            null,
            "GET / HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            PROTOCOL_ERROR));
    all.add(refused("one byte of PUBLISH as the first packet", null, hex("30"), PROTOCOL_ERROR));
    all.add(refused("AUTH in 3.1.1", V311, hex("F0 00"), MALFORMED_PACKET));
    all.add(refused("AUTH in 3.1", V31, hex("F0 00"), MALFORMED_PACKET));
    all.add(
        refused("remaining length of 5 bytes", V311, hex("30 FF FF FF FF 7F"), MALFORMED_PACKET));
    all.add(refused("remaining length 0 in 2 bytes", V311, hex("C0 80 00"), MALFORMED_PACKET));
    all.add(refused("remaining length 5 in 3 bytes", V5, hex("30 85 80 00"), MALFORMED_PACKET));
    all.add(
        refused("remaining length 0 in 4 bytes", V311, hex("E0 80 80 80 00"), MALFORMED_PACKET));
    // Header only: the fault must be found before any of the body arrives.
    all.add(
        refused(
            "remaining length 268,435,455, header only",
            V311,
            hex("30 FF FF FF 7F"),
            PACKET_TOO_LARGE));
    all.add(
        refused(
            "packet one byte over the limit, header only", V5, hex("30 FE 1F"), PACKET_TOO_LARGE));
    all.add(
        connect(
            "CONNECT over the pre-CONNECT limit, header only",
            hex("10 80 10"),
            PACKET_TOO_LARGE,
            3));
  }

  private static void connect(List<Case> all) {
    all.add(
        connect(
            "CONNECT with protocol name MQTX",
            frame(0x10, str("MQTX"), hex("04 02 00 3C"), str("c")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT MQTT level 3",
            frame(0x10, str("MQTT"), hex("03 02 00 3C"), str("c")),
            UNSUPPORTED_PROTOCOL_VERSION,
            1));
    all.add(
        connect(
            "CONNECT MQTT level 6",
            frame(0x10, str("MQTT"), hex("06 02 00 3C"), str("c")),
            UNSUPPORTED_PROTOCOL_VERSION,
            1));
    all.add(
        connect(
            "CONNECT MQIsdp level 4",
            frame(0x10, str("MQIsdp"), hex("04 02 00 3C"), str("c")),
            UNSUPPORTED_PROTOCOL_VERSION,
            1));
    all.add(
        connect(
            "CONNECT with the reserved flag",
            frame(0x10, str("MQTT"), hex("04 03 00 3C"), str("c")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT with will QoS 3",
            frame(0x10, str("MQTT"), hex("04 1E 00 3C"), str("c"), str("w"), str("x")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT with will QoS but no will",
            frame(0x10, str("MQTT"), hex("04 0A 00 3C"), str("c")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT with will retain but no will",
            frame(0x10, str("MQTT"), hex("04 22 00 3C"), str("c")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "3.1.1 CONNECT with a password but no user name",
            frame(0x10, str("MQTT"), hex("04 42 00 3C"), str("c"), str("pw")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "3.1 CONNECT with a password but no user name",
            frame(0x10, str("MQIsdp"), hex("03 42 00 3C"), str("c"), str("pw")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT protocol name runs past the packet",
            frame(0x10, hex("00 04 4D 51")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT keep alive cut short",
            frame(0x10, str("MQTT"), hex("04 02 00")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT client id runs past the packet",
            frame(0x10, str("MQTT"), hex("04 02 00 3C"), hex("00 10 61 62 63")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT will payload runs past the packet",
            frame(0x10, str("MQTT"), hex("04 06 00 3C"), str("c"), str("a/b"), hex("00 09 68 69")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT user name flag without a user name",
            frame(0x10, str("MQTT"), hex("04 82 00 3C"), str("c")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT client id with overlong UTF-8 C0 AF",
            frame(0x10, str("MQTT"), hex("04 02 00 3C"), lengthPrefixed(hex("C0 AF"))),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT client id with a lone continuation byte",
            frame(0x10, str("MQTT"), hex("04 02 00 3C"), lengthPrefixed(hex("61 80 62"))),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT client id with a truncated sequence E2 82",
            frame(0x10, str("MQTT"), hex("04 02 00 3C"), lengthPrefixed(hex("E2 82"))),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT client id with an encoded surrogate ED A0 80",
            frame(0x10, str("MQTT"), hex("04 02 00 3C"), lengthPrefixed(hex("ED A0 80"))),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT client id with U+0000",
            frame(0x10, str("MQTT"), hex("04 02 00 3C"), lengthPrefixed(hex("61 00 62"))),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT client id above U+10FFFF",
            frame(0x10, str("MQTT"), hex("04 02 00 3C"), lengthPrefixed(hex("F4 90 80 80"))),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT user name with overlong UTF-8 E0 80 AF",
            frame(0x10, str("MQTT"), hex("04 82 00 3C"), str("c"), lengthPrefixed(hex("E0 80 AF"))),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT protocol name with U+0000",
            frame(0x10, lengthPrefixed(hex("4D 00 54 54")), hex("04 02 00 3C"), str("c")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT with a trailing byte",
            frame(0x10, str("MQTT"), hex("04 02 00 3C"), str("c"), hex("00")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "CONNECT will topic with a wildcard",
            frame(0x10, str("MQTT"), hex("04 06 00 3C"), str("c"), str("a/+"), str("")),
            TOPIC_NAME_INVALID,
            3));
    all.add(
        connect(
            "CONNECT with an empty will topic",
            frame(0x10, str("MQTT"), hex("04 06 00 3C"), str("c"), str(""), str("")),
            TOPIC_NAME_INVALID,
            3));
    all.add(
        connect(
            "5.0 CONNECT property length runs past the packet",
            frame(0x10, str("MQTT"), hex("05 02 00 3C"), hex("0A 11 00")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "5.0 CONNECT with unknown property 0x7F",
            frame(0x10, str("MQTT"), hex("05 02 00 3C"), props(hex("7F 00")), str("c")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "5.0 CONNECT with property id 0",
            frame(0x10, str("MQTT"), hex("05 02 00 3C"), props(hex("00 00")), str("c")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "5.0 CONNECT with property id 0x11 as a 2-byte varint",
            frame(0x10, str("MQTT"), hex("05 02 00 3C"), props(hex("91 00 00 00 00 0A")), str("c")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "5.0 CONNECT with topic alias, not a CONNECT property",
            frame(0x10, str("MQTT"), hex("05 02 00 3C"), props(hex("23 00 01")), str("c")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "5.0 CONNECT with session expiry twice",
            frame(
                0x10,
                str("MQTT"),
                hex("05 02 00 3C"),
                props(hex("11 00 00 00 0A"), hex("11 00 00 00 0A")),
                str("c")),
            PROTOCOL_ERROR,
            3));
    all.add(
        connect(
            "5.0 CONNECT with receive maximum 0",
            frame(0x10, str("MQTT"), hex("05 02 00 3C"), props(hex("21 00 00")), str("c")),
            PROTOCOL_ERROR,
            3));
    all.add(
        connect(
            "5.0 CONNECT with maximum packet size 0",
            frame(0x10, str("MQTT"), hex("05 02 00 3C"), props(hex("27 00 00 00 00")), str("c")),
            PROTOCOL_ERROR,
            3));
    all.add(
        connect(
            "5.0 CONNECT with request problem information 2",
            frame(0x10, str("MQTT"), hex("05 02 00 3C"), props(hex("17 02")), str("c")),
            PROTOCOL_ERROR,
            3));
    all.add(
        connect(
            "5.0 CONNECT four-byte property cut short inside its block",
            frame(0x10, str("MQTT"), hex("05 02 00 3C"), props(hex("11 00 00")), str("c")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "5.0 CONNECT with session expiry among the will properties",
            frame(
                0x10,
                str("MQTT"),
                hex("05 06 00 3C"),
                props(),
                str("c"),
                props(hex("11 00 00 00 01")),
                str("w"),
                str("x")),
            MALFORMED_PACKET,
            3));
    all.add(
        connect(
            "5.0 CONNECT with 5 user properties, over the limit of 4",
            frame(
                0x10,
                str("MQTT"),
                hex("05 02 00 3C"),
                props(
                    userProperty(), userProperty(), userProperty(), userProperty(), userProperty()),
                str("c")),
            IMPLEMENTATION_SPECIFIC_ERROR,
            3));
    all.add(
        connect(
            "5.0 CONNECT user property value runs past its block",
            frame(
                0x10,
                str("MQTT"),
                hex("05 02 00 3C"),
                props(hex("26 00 01 6B 00 05 76")),
                str("c")),
            MALFORMED_PACKET,
            3));
    all.add(
        refused(
            "PUBLISH as the first packet",
            null,
            frame(0x30, str("a"), hex("68 69")),
            PROTOCOL_ERROR));
    all.add(
        refused(
            "SUBSCRIBE as the first packet",
            null,
            frame(0x82, u16(1), str("a"), hex("00")),
            PROTOCOL_ERROR));
    all.add(refused("PINGREQ as the first packet", null, hex("C0 00"), PROTOCOL_ERROR));
  }

  private static void publish(List<Case> all) {
    all.add(refused("PUBLISH QoS 3", V311, frame(0x36, str("a"), u16(1)), MALFORMED_PACKET));
    all.add(refused("PUBLISH DUP at QoS 0", V311, frame(0x38, str("a")), MALFORMED_PACKET));
    all.add(refused("PUBLISH topic with +", V311, frame(0x30, str("a/+")), TOPIC_NAME_INVALID));
    all.add(refused("PUBLISH topic with #", V31, frame(0x30, str("a/#")), TOPIC_NAME_INVALID));
    all.add(
        refused(
            "PUBLISH empty topic in 3.1.1",
            V311,
            frame(0x30, str(""), hex("68")),
            TOPIC_NAME_INVALID));
    all.add(
        refused(
            "PUBLISH empty topic without a topic alias in 5.0",
            V5,
            frame(0x30, str(""), props()),
            PROTOCOL_ERROR));
    all.add(
        refused("PUBLISH QoS 1 packet id 0", V311, frame(0x32, str("a"), u16(0)), PROTOCOL_ERROR));
    all.add(
        refused(
            "PUBLISH QoS 2 packet id 0",
            V5,
            frame(0x34, str("a"), u16(0), props()),
            PROTOCOL_ERROR));
    all.add(
        refused(
            "PUBLISH topic runs past the packet",
            V311,
            frame(0x30, hex("00 05 61")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "PUBLISH packet id cut short",
            V311,
            frame(0x32, str("a"), hex("00")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "PUBLISH topic with byte FF",
            V5,
            frame(0x30, lengthPrefixed(hex("FF")), props()),
            MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 PUBLISH without a property length", V5, frame(0x30, str("a")), MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 PUBLISH property length runs past the packet",
            V5,
            frame(0x30, str("a"), hex("05 01")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 PUBLISH topic alias 0",
            V5,
            frame(0x30, str("a"), props(hex("23 00 00"))),
            TOPIC_ALIAS_INVALID));
    all.add(
        refused(
            "5.0 PUBLISH payload format indicator 2",
            V5,
            frame(0x30, str("a"), props(hex("01 02"))),
            PROTOCOL_ERROR));
    all.add(
        refused(
            "5.0 PUBLISH subscription identifier 0",
            V5,
            frame(0x30, str("a"), props(hex("0B 00"))),
            PROTOCOL_ERROR));
    all.add(
        refused(
            "5.0 PUBLISH with session expiry, not a PUBLISH property",
            V5,
            frame(0x30, str("a"), props(hex("11 00 00 00 01"))),
            MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 PUBLISH with message expiry twice",
            V5,
            frame(0x30, str("a"), props(hex("02 00 00 00 01"), hex("02 00 00 00 01"))),
            PROTOCOL_ERROR));
    all.add(
        refused(
            "5.0 PUBLISH response topic with a wildcard",
            V5,
            frame(0x30, str("a"), props(hex("08"), str("r/#"))),
            PROTOCOL_ERROR));
    all.add(
        refused(
            "5.0 PUBLISH with 5 user properties, over the limit of 4",
            V5,
            frame(
                0x30,
                str("a"),
                props(
                    userProperty(),
                    userProperty(),
                    userProperty(),
                    userProperty(),
                    userProperty())),
            IMPLEMENTATION_SPECIFIC_ERROR));
  }

  private static void acknowledgements(List<Case> all) {
    all.add(refused("PUBACK packet id 0", V311, frame(0x40, u16(0)), PROTOCOL_ERROR));
    all.add(refused("PUBREC packet id 0", V311, frame(0x50, u16(0)), PROTOCOL_ERROR));
    all.add(refused("PUBREL packet id 0", V311, frame(0x62, u16(0)), PROTOCOL_ERROR));
    all.add(refused("PUBCOMP packet id 0", V5, frame(0x70, u16(0)), PROTOCOL_ERROR));
    all.add(
        refused("3.1.1 PUBACK of 3 bytes", V311, frame(0x40, u16(1), hex("00")), MALFORMED_PACKET));
    all.add(refused("3.1.1 PUBREC of 1 byte", V311, frame(0x50, hex("01")), MALFORMED_PACKET));
    all.add(refused("3.1.1 PUBREL of 0 bytes", V311, frame(0x62), MALFORMED_PACKET));
    all.add(refused("3.1 PUBCOMP of 4 bytes", V31, frame(0x70, u16(1), u16(1)), MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 PUBACK with reason code 0x92",
            V5,
            frame(0x40, u16(1), hex("92")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 PUBREL with reason code 0x10",
            V5,
            frame(0x62, u16(1), hex("10")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 PUBACK with unknown reason code 0x05",
            V5,
            frame(0x40, u16(1), hex("05")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 PUBACK with a topic alias",
            V5,
            frame(0x40, u16(1), hex("00"), props(hex("23 00 01"))),
            MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 PUBCOMP with reason string twice",
            V5,
            frame(0x70, u16(1), hex("00"), props(hex("1F"), str("x"), hex("1F"), str("y"))),
            PROTOCOL_ERROR));
  }

  private static void connAck(List<Case> all) {
    all.add(
        refused("3.1.1 CONNACK return code 6", V311, frame(0x20, hex("00 06")), MALFORMED_PACKET));
    all.add(
        refused("CONNACK reserved flag bit 1", V311, frame(0x20, hex("02 00")), MALFORMED_PACKET));
    all.add(
        refused(
            "CONNACK session present with a refusal",
            V311,
            frame(0x20, hex("01 05")),
            PROTOCOL_ERROR));
    all.add(
        refused("3.1.1 CONNACK of 3 bytes", V311, frame(0x20, hex("00 00 00")), MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 CONNACK without a property length",
            V5,
            frame(0x20, hex("00 00")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 CONNACK maximum QoS 2",
            V5,
            frame(0x20, hex("00 00"), props(hex("24 02"))),
            PROTOCOL_ERROR));
    all.add(
        refused(
            "5.0 CONNACK reason code 0x04",
            V5,
            frame(0x20, hex("00 04"), props()),
            MALFORMED_PACKET));
  }

  private static void subscribe(List<Case> all) {
    all.add(refused("3.1.1 SUBSCRIBE without a filter", V311, frame(0x82, u16(1)), PROTOCOL_ERROR));
    all.add(
        refused(
            "5.0 SUBSCRIBE without a filter", V5, frame(0x82, u16(1), props()), PROTOCOL_ERROR));
    all.add(
        refused(
            "SUBSCRIBE packet id 0",
            V311,
            frame(0x82, u16(0), str("a"), hex("00")),
            PROTOCOL_ERROR));
    all.add(
        refused(
            "3.1.1 SUBSCRIBE QoS 3",
            V311,
            frame(0x82, u16(1), str("a"), hex("03")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 SUBSCRIBE QoS 3",
            V5,
            frame(0x82, u16(1), props(), str("a"), hex("03")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "3.1.1 SUBSCRIBE reserved option bit 2",
            V311,
            frame(0x82, u16(1), str("a"), hex("04")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "3.1 SUBSCRIBE reserved option bit 7",
            V31,
            frame(0x82, u16(1), str("a"), hex("80")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 SUBSCRIBE reserved option bit 6",
            V5,
            frame(0x82, u16(1), props(), str("a"), hex("40")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 SUBSCRIBE retain handling 3",
            V5,
            frame(0x82, u16(1), props(), str("a"), hex("30")),
            PROTOCOL_ERROR));
    all.add(
        refused(
            "5.0 SUBSCRIBE no local on a shared subscription",
            V5,
            frame(0x82, u16(1), props(), str("$share/g/a"), hex("04")),
            PROTOCOL_ERROR));
    for (String filter : List.of("a/#/b", "a#", "a+/b", "+a", "", "#/a", "a/b+")) {
      all.add(
          refused(
              "SUBSCRIBE filter \"" + filter + "\"",
              V311,
              frame(0x82, u16(1), str(filter), hex("00")),
              TOPIC_FILTER_INVALID));
    }
    for (String filter :
        List.of("$share//x", "$share/g", "$share/g/", "$share/+/x", "$share/g#/x")) {
      all.add(
          refused(
              "5.0 SUBSCRIBE filter \"" + filter + "\"",
              V5,
              frame(0x82, u16(1), props(), str(filter), hex("00")),
              TOPIC_FILTER_INVALID));
    }
    all.add(
        refused(
            "SUBSCRIBE with 9 filters, over the limit of 8",
            V311,
            frame(0x82, u16(1), repeat(concat(str("a"), hex("00")), 9)),
            IMPLEMENTATION_SPECIFIC_ERROR));
    all.add(
        refused(
            "SUBSCRIBE filter without its options byte",
            V311,
            frame(0x82, u16(1), str("a")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "SUBSCRIBE filter with ill-formed UTF-8 C3 28",
            V311,
            frame(0x82, u16(1), lengthPrefixed(hex("C3 28")), hex("00")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 SUBSCRIBE subscription identifier 0",
            V5,
            frame(0x82, u16(1), props(hex("0B 00")), str("a"), hex("00")),
            PROTOCOL_ERROR));
    all.add(
        refused(
            "5.0 SUBSCRIBE with two subscription identifiers",
            V5,
            frame(0x82, u16(1), props(hex("0B 01"), hex("0B 02")), str("a"), hex("00")),
            PROTOCOL_ERROR));
    all.add(
        refused(
            "5.0 SUBSCRIBE subscription identifier as a non-minimal varint",
            V5,
            frame(0x82, u16(1), props(hex("0B 81 00")), str("a"), hex("00")),
            MALFORMED_PACKET));
  }

  private static void unsubscribeAndAcks(List<Case> all) {
    all.add(
        refused("3.1.1 UNSUBSCRIBE without a filter", V311, frame(0xA2, u16(1)), PROTOCOL_ERROR));
    all.add(
        refused(
            "5.0 UNSUBSCRIBE without a filter", V5, frame(0xA2, u16(1), props()), PROTOCOL_ERROR));
    all.add(
        refused("UNSUBSCRIBE packet id 0", V311, frame(0xA2, u16(0), str("a")), PROTOCOL_ERROR));
    all.add(
        refused(
            "UNSUBSCRIBE filter \"a/#/b\"",
            V311,
            frame(0xA2, u16(1), str("a/#/b")),
            TOPIC_FILTER_INVALID));
    all.add(
        refused(
            "UNSUBSCRIBE with 9 filters, over the limit of 8",
            V5,
            frame(0xA2, u16(1), props(), repeat(str("a"), 9)),
            IMPLEMENTATION_SPECIFIC_ERROR));
    all.add(
        refused(
            "3.1.1 SUBACK return code 3", V311, frame(0x90, u16(1), hex("03")), MALFORMED_PACKET));
    all.add(
        refused("3.1.1 SUBACK without a return code", V311, frame(0x90, u16(1)), PROTOCOL_ERROR));
    all.add(
        refused(
            "5.0 SUBACK reason code 0x11",
            V5,
            frame(0x90, u16(1), props(), hex("11")),
            MALFORMED_PACKET));
    all.add(
        refused(
            "3.1.1 UNSUBACK of 3 bytes", V311, frame(0xB0, u16(1), hex("00")), MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 UNSUBACK without a reason code",
            V5,
            frame(0xB0, u16(1), props()),
            PROTOCOL_ERROR));
  }

  private static void emptyBodies(List<Case> all) {
    all.add(refused("PINGREQ with a body", V311, hex("C0 01 00"), MALFORMED_PACKET));
    all.add(refused("PINGRESP with a body", V5, hex("D0 01 00"), MALFORMED_PACKET));
    all.add(refused("3.1.1 DISCONNECT with a body", V311, hex("E0 01 00"), MALFORMED_PACKET));
    all.add(refused("3.1 DISCONNECT with a body", V31, hex("E0 02 00 00"), MALFORMED_PACKET));
    all.add(refused("5.0 DISCONNECT reason code 0x84", V5, hex("E0 01 84"), MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 DISCONNECT with maximum QoS, not a DISCONNECT property",
            V5,
            frame(0xE0, hex("00"), props(hex("24 01"))),
            MALFORMED_PACKET));
    all.add(refused("5.0 AUTH reason code 0x87", V5, hex("F0 01 87"), MALFORMED_PACKET));
    all.add(
        refused(
            "5.0 AUTH with authentication method twice",
            V5,
            frame(0xF0, hex("18"), props(hex("15"), str("A"), hex("15"), str("B"))),
            PROTOCOL_ERROR));
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static Case refused(String name, MqttVersion after, byte[] bytes, ReasonCode expected) {
    return new Case(name, after, bytes, expected, null);
  }

  private static Case connect(String name, byte[] bytes, ReasonCode expected, int v3ReturnCode) {
    return new Case(name, null, bytes, expected, v3ReturnCode);
  }

  /** A minimal valid CONNECT of a version: clean session, keep alive 60, client id "c". */
  static byte[] validConnect(MqttVersion version) {
    return switch (version) {
      case V3_1 -> frame(0x10, str("MQIsdp"), hex("03 02 00 3C"), str("c"));
      case V3_1_1 -> frame(0x10, str("MQTT"), hex("04 02 00 3C"), str("c"));
      case V5 -> frame(0x10, str("MQTT"), hex("05 02 00 3C"), props(), str("c"));
    };
  }

  private static byte[] userProperty() {
    return concat(hex("26"), str("k"), str("v"));
  }

  private static byte[] repeat(byte[] part, int times) {
    byte[][] parts = new byte[times][];
    Arrays.fill(parts, part);
    return concat(parts);
  }

  /** Whether the bytes hold exactly one whole frame, so PacketDecoder can be given its body. */
  private static boolean isWholeFrame(byte[] bytes) {
    ByteBuf in = Unpooled.wrappedBuffer(bytes).skipBytes(1);
    int remaining = VariableByteInteger.read(in);
    return remaining >= 0 && remaining == in.readableBytes();
  }
}
