package io.starling.testkit;

import static io.starling.testkit.WireReaderTest.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.starling.codec.CodecLimits;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.UnsubAck;
import io.starling.codec.wire.PacketDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link WireCrossCheck}: the codec's decoding of hand-written packets agrees with {@link
 * WireReader}'s, and a decoding that differs in any one field the tests assert on is caught with
 * the field and both values named.
 */
class WireCrossCheckTest {
  // PUBLISH QoS 1, DUP 0, RETAIN 1, topic "a/b", id 9, Topic Alias 3, User Property k=v, "hello"
  private static final byte[] PUBLISH_5 =
      b(
          0x33, 0x17, // PUBLISH QoS 1 RETAIN, Remaining Length 23
          0x00, 0x03, 'a', '/', 'b', // Topic Name
          0x00, 0x09, // Packet Identifier 9
          0x0A, // Property Length 10
          0x23, 0x00, 0x03, // Topic Alias 3
          0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v', // User Property k=v
          'h', 'e', 'l', 'l', 'o');

  static Stream<byte[]> agreed5() {
    return Stream.of(
        PUBLISH_5,
        b(0x20, 0x06, 0x01, 0x00, 0x03, 0x21, 0x00, 0x05), // CONNACK, present, Receive Maximum 5
        b(0x40, 0x02, 0x00, 0x01), // PUBACK, short form
        b(0x50, 0x03, 0x00, 0x02, 0x10), // PUBREC, No matching subscribers
        b(0x62, 0x08, 0x00, 0x03, 0x92, 0x04, 0x1F, 0x00, 0x01, 'x'), // PUBREL, Reason String
        b(0x70, 0x02, 0x00, 0x04), // PUBCOMP
        b(0x90, 0x05, 0x00, 0x05, 0x00, 0x02, 0x87), // SUBACK: QoS 2, Not authorized
        b(0xB0, 0x04, 0x00, 0x06, 0x00, 0x11), // UNSUBACK: No subscription existed
        b(0xD0, 0x00), // PINGRESP
        b(0xE0, 0x01, 0x8B), // DISCONNECT, Server shutting down
        b(0xF0, 0x09, 0x18, 0x07, 0x15, 0x00, 0x04, 'T', 'E', 'S', 'T')); // AUTH, continue
  }

  static Stream<byte[]> agreed311() {
    return Stream.of(
        b(0x20, 0x02, 0x00, 0x00), // CONNACK accepted
        b(0x20, 0x02, 0x00, 0x01), // refused: unacceptable protocol version
        b(0x20, 0x02, 0x00, 0x02), // identifier rejected
        b(0x20, 0x02, 0x00, 0x03), // server unavailable
        b(0x20, 0x02, 0x00, 0x04), // bad user name or password
        b(0x20, 0x02, 0x00, 0x05), // not authorized
        b(0x3D, 0x06, 0x00, 0x01, 't', 0x00, 0x07, 'x'), // PUBLISH DUP QoS 2 RETAIN
        b(0x40, 0x02, 0x00, 0x2A), // PUBACK
        b(0x90, 0x04, 0x00, 0x01, 0x01, 0x80), // SUBACK
        b(0xB0, 0x02, 0x00, 0x09), // UNSUBACK
        b(0xD0, 0x00)); // PINGRESP
  }

  private static MqttPacket decode(byte[] packet, MqttVersion version) {
    int headerLength = 2;
    while ((packet[headerLength - 1] & 0x80) != 0) {
      headerLength++;
    }
    return new PacketDecoder(CodecLimits.DEFAULTS)
        .decode(
            packet[0] & 0xFF,
            Unpooled.wrappedBuffer(packet, headerLength, packet.length - headerLength),
            version);
  }

  @ParameterizedTest
  @MethodSource("agreed5")
  void theCodecAgreesOnMqtt5Packets(byte[] packet) {
    WirePacket wire = WireReader.read(packet, WireReader.MQTT_5);
    assertThatCode(() -> WireCrossCheck.check(wire, decode(packet, MqttVersion.V5)))
        .doesNotThrowAnyException();
  }

  @ParameterizedTest
  @MethodSource("agreed311")
  void theCodecAgreesOnMqtt311Packets(byte[] packet) {
    WirePacket wire = WireReader.read(packet, WireReader.MQTT_3_1_1);
    assertThatCode(() -> WireCrossCheck.check(wire, decode(packet, MqttVersion.V3_1_1)))
        .doesNotThrowAnyException();
  }

  private static void assertCaught(
      byte[] packet, MqttVersion version, MqttPacket buggy, String... named) {
    WirePacket wire = WireReader.read(packet, version.level());
    assertThatThrownBy(() -> WireCrossCheck.check(wire, buggy))
        .isInstanceOf(AssertionError.class)
        .hasMessageContainingAll(named);
  }

  @Test
  void aPublishDifferingInAnyOneFieldIsCaught() {
    Publish p = (Publish) decode(PUBLISH_5, MqttVersion.V5);
    assertCaught(
        PUBLISH_5,
        MqttVersion.V5,
        p.withDelivery(p.qos(), false, false, 9),
        "field retain is true on the wire",
        "but false in the codec's decoding");
    assertCaught(
        PUBLISH_5, MqttVersion.V5, p.withDelivery(p.qos(), true, true, 9), "field dup", "false");
    assertCaught(
        PUBLISH_5,
        MqttVersion.V5,
        p.withDelivery(io.starling.codec.QoS.EXACTLY_ONCE, true, false, 9),
        "field qos is 1",
        "but 2");
    assertCaught(
        PUBLISH_5,
        MqttVersion.V5,
        p.withDelivery(p.qos(), true, false, 10),
        "field packetId is 9",
        "but 10");
    assertCaught(
        PUBLISH_5,
        MqttVersion.V5,
        p.withTopic("a/c", p.properties()),
        "field topic is a/b",
        "but a/c");
    assertCaught(
        PUBLISH_5,
        MqttVersion.V5,
        p.withPayload(Unpooled.wrappedBuffer("hellO".getBytes(StandardCharsets.US_ASCII))),
        "field payload is 0x68656c6c6f",
        "but 0x68656c6c4f");
    assertCaught(
        PUBLISH_5,
        MqttVersion.V5,
        p.withProperties(
            Properties.builder().add(PropertyId.TOPIC_ALIAS, 4).userProperty("k", "v").build()),
        "field properties[0] (Topic Alias) is 3",
        "but 4");
    assertCaught(
        PUBLISH_5,
        MqttVersion.V5,
        p.withProperties(
            Properties.builder().add(PropertyId.TOPIC_ALIAS, 3).userProperty("k", "w").build()),
        "field properties[1] (User Property) is [k, v]",
        "but [k, w]");
    assertCaught(
        PUBLISH_5,
        MqttVersion.V5,
        p.withProperties(Properties.builder().add(PropertyId.TOPIC_ALIAS, 3).build()),
        "field properties[1]",
        "but absent");
    assertCaught(
        PUBLISH_5,
        MqttVersion.V5,
        p.withProperties(
            Properties.builder()
                .add(PropertyId.SUBSCRIPTION_IDENTIFIER, 3)
                .userProperty("k", "v")
                .build()),
        "field properties[0].id is 0x23",
        "but 0x0B");
  }

  @Test
  void otherPacketsDifferingInOneFieldAreCaught() {
    byte[] connAck = b(0x20, 0x03, 0x01, 0x00, 0x00); // CONNACK 5.0, Session Present
    assertCaught(
        connAck,
        MqttVersion.V5,
        new ConnAck(false, ReasonCode.SUCCESS, Properties.EMPTY),
        "field sessionPresent is true");
    // A 3.1.1 return code mapped to the wrong reason: 4 is bad user name or password.
    assertCaught(
        b(0x20, 0x02, 0x00, 0x04),
        MqttVersion.V3_1_1,
        new ConnAck(false, ReasonCode.NOT_AUTHORIZED, Properties.EMPTY),
        "field reasonCode is 0x86",
        "but 0x87");
    assertCaught(
        b(0x40, 0x03, 0x00, 0x01, 0x10),
        MqttVersion.V5,
        PubAck.of(1),
        "field reasonCode is 0x10",
        "but 0x00");
    assertCaught(
        b(0x40, 0x02, 0x00, 0x01),
        MqttVersion.V5,
        new PubRec(1, ReasonCode.SUCCESS, Properties.EMPTY),
        "field type is 4 (PUBACK)",
        "but 5 (PUBREC)");
    assertCaught(
        b(0x90, 0x05, 0x00, 0x05, 0x00, 0x02, 0x87),
        MqttVersion.V5,
        new SubAck(5, List.of(ReasonCode.GRANTED_QOS_2), Properties.EMPTY),
        "field reasonCodes is [0x02, 0x87]",
        "but [0x02]");
    assertCaught(
        b(0xB0, 0x04, 0x00, 0x06, 0x00, 0x11),
        MqttVersion.V5,
        new UnsubAck(7, List.of(ReasonCode.NO_SUBSCRIPTION_EXISTED), Properties.EMPTY),
        "field packetId is 6",
        "but 7");
    assertCaught(
        b(0xE0, 0x01, 0x8B),
        MqttVersion.V5,
        new Disconnect(
            ReasonCode.SERVER_SHUTTING_DOWN,
            Properties.builder().add(PropertyId.REASON_STRING, "bye").build()),
        "field properties[0] is absent on the wire");
  }

  @Test
  void theMessageShowsThePacketAsRead() {
    Publish p = (Publish) decode(PUBLISH_5, MqttVersion.V5);
    WirePacket wire = WireReader.read(PUBLISH_5, WireReader.MQTT_5);
    assertThatThrownBy(() -> WireCrossCheck.check(wire, p.withDelivery(p.qos(), false, false, 9)))
        .hasMessageContaining("PUBLISH[flags=")
        .hasMessageContaining("topic=a/b");
    assertThat(wire.toString()).contains("packetId=9", "0x23 Topic Alias=3");
  }
}
