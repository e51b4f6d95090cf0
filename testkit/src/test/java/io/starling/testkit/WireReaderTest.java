package io.starling.testkit;

import static io.starling.testkit.WireReader.MQTT_3_1;
import static io.starling.testkit.WireReader.MQTT_3_1_1;
import static io.starling.testkit.WireReader.MQTT_5;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link WireReader} on packets written byte by byte from the layouts of the MQTT 3.1.1 and 5.0
 * specifications (never produced by Starling's encoder): well-formed ones read to the expected
 * fields, and ones a server may not send refused with the rule they break.
 */
class WireReaderTest {

  /** Bytes from ints, so that a test can write 0xC8 without a cast. */
  static byte[] b(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  // ---- MQTT 3.1.1 ---------------------------------------------------------------------------

  @Test
  void connAckOf311() {
    WirePacket accepted =
        WireReader.read(
            b(
                0x20, // CONNACK, flags 0000
                0x02, // Remaining Length 2
                0x01, // Session Present
                0x00), // Connection Accepted
            MQTT_3_1_1);
    assertThat(accepted.typeName()).isEqualTo("CONNACK");
    assertThat(accepted.sessionPresent()).isTrue();
    assertThat(accepted.reasonCodes()).containsExactly(0x00);
    assertThat(accepted.properties()).isEmpty();

    WirePacket refused = WireReader.read(b(0x20, 0x02, 0x00, 0x05), MQTT_3_1_1);
    assertThat(refused.sessionPresent()).isFalse();
    assertThat(refused.reasonCode()).isEqualTo(5); // not authorized
  }

  @Test
  void publishOf311AtEachQos() {
    WirePacket qos0 =
        WireReader.read(
            b(
                0x30, // PUBLISH, DUP 0, QoS 0, RETAIN 0
                0x0A, // Remaining Length 10
                0x00, 0x03, 'a', '/', 'b', // Topic Name "a/b"
                'h', 'e', 'l', 'l', 'o'), // payload, no Packet Identifier at QoS 0
            MQTT_3_1_1);
    assertThat(qos0.qos()).isZero();
    assertThat(qos0.dup()).isFalse();
    assertThat(qos0.retain()).isFalse();
    assertThat(qos0.packetId()).isZero();
    assertThat(qos0.topic()).isEqualTo("a/b");
    assertThat(qos0.payload()).isEqualTo(ascii("hello"));

    WirePacket qos1 =
        WireReader.read(
            b(
                0x3B, // PUBLISH, DUP 1, QoS 1, RETAIN 1
                0x06, // Remaining Length 6
                0x00, 0x01, 't', // Topic Name "t"
                0x00, 0x07, // Packet Identifier 7
                'x'), // payload
            MQTT_3_1_1);
    assertThat(qos1.dup()).isTrue();
    assertThat(qos1.qos()).isEqualTo(1);
    assertThat(qos1.retain()).isTrue();
    assertThat(qos1.packetId()).isEqualTo(7);
    assertThat(qos1.payload()).isEqualTo(ascii("x"));

    WirePacket qos2 =
        WireReader.read(
            b(
                0x34, // PUBLISH, DUP 0, QoS 2, RETAIN 0
                0x05, // Remaining Length 5
                0x00, 0x01, 't', // Topic Name "t"
                0xFF, 0xFF), // Packet Identifier 65535, empty payload
            MQTT_3_1_1);
    assertThat(qos2.qos()).isEqualTo(2);
    assertThat(qos2.packetId()).isEqualTo(65535);
    assertThat(qos2.payload()).isEmpty();
  }

  @Test
  void aTwoByteRemainingLength() {
    byte[] packet = new byte[3 + 5 + 200];
    packet[0] = 0x30; // PUBLISH QoS 0
    packet[1] = (byte) 0xCD; // Remaining Length 205: 0x4D with the continuation bit,
    packet[2] = 0x01; // then 1 (x 128)
    packet[3] = 0x00; // Topic Name length 3
    packet[4] = 0x03;
    packet[5] = 'a';
    packet[6] = '/';
    packet[7] = 'b';
    for (int i = 8; i < packet.length; i++) {
      packet[i] = (byte) i; // 200 payload bytes
    }
    WirePacket p = WireReader.read(packet, MQTT_3_1_1);
    assertThat(p.remainingLength()).isEqualTo(205);
    assertThat(p.payload()).hasSize(200).startsWith((byte) 8);
  }

  @Test
  void acknowledgementsOf311() {
    WirePacket pubAck = WireReader.read(b(0x40, 0x02, 0x00, 0x2A), MQTT_3_1_1); // PUBACK 42
    assertThat(pubAck.typeName()).isEqualTo("PUBACK");
    assertThat(pubAck.packetId()).isEqualTo(42);
    assertThat(pubAck.reasonCodes()).isEmpty();
    assertThat(pubAck.reasonCode()).isZero();
    assertThat(WireReader.read(b(0x50, 0x02, 0x01, 0x00), MQTT_3_1_1).packetId()).isEqualTo(256);
    assertThat(WireReader.read(b(0x62, 0x02, 0x00, 0x03), MQTT_3_1_1).typeName())
        .isEqualTo("PUBREL"); // PUBREL's flags are 0010
    assertThat(WireReader.read(b(0x70, 0x02, 0x00, 0x04), MQTT_3_1_1).typeName())
        .isEqualTo("PUBCOMP");

    WirePacket subAck =
        WireReader.read(
            b(
                0x90, // SUBACK
                0x05, // Remaining Length 5
                0x00, 0x01, // Packet Identifier 1
                0x00, 0x01, 0x80), // granted QoS 0, granted QoS 1, failure
            MQTT_3_1_1);
    assertThat(subAck.packetId()).isEqualTo(1);
    assertThat(subAck.reasonCodes()).containsExactly(0x00, 0x01, 0x80);

    WirePacket unsubAck = WireReader.read(b(0xB0, 0x02, 0x00, 0x09), MQTT_3_1_1);
    assertThat(unsubAck.typeName()).isEqualTo("UNSUBACK");
    assertThat(unsubAck.packetId()).isEqualTo(9);
    assertThat(unsubAck.reasonCodes()).isEmpty();

    WirePacket pingResp = WireReader.read(b(0xD0, 0x00), MQTT_3_1_1);
    assertThat(pingResp.typeName()).isEqualTo("PINGRESP");
    assertThat(pingResp.remainingLength()).isZero();
  }

  @Test
  void mqtt31LetsAPubRelCarryDup() {
    byte[] pubRelAgain = b(0x6A, 0x02, 0x00, 0x01); // PUBREL, DUP 1, QoS 1
    assertThat(WireReader.read(pubRelAgain, MQTT_3_1).packetId()).isEqualTo(1);
    assertThatThrownBy(() -> WireReader.read(pubRelAgain, MQTT_3_1_1))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("[MQTT-2.2.2-1]");
  }

  @Test
  void utf8IsDecodedByCodePoint() {
    WirePacket p =
        WireReader.read(
            b(
                0x30, 0x0C, // PUBLISH QoS 0, Remaining Length 12
                0x00, 0x0A, // Topic Name length 10:
                0xC3, 0xA9, // U+00E9
                0xE2, 0x82, 0xAC, // U+20AC
                0xF0, 0x9F, 0x98, 0x80, // U+1F600, outside the BMP
                '/'),
            MQTT_3_1_1);
    assertThat(p.topic()).isEqualTo("\u00E9\u20AC\uD83D\uDE00/");
  }

  // ---- MQTT 5.0 -----------------------------------------------------------------------------

  @Test
  void connAckOf5WithProperties() {
    WirePacket p =
        WireReader.read(
            b(
                0x20, // CONNACK
                0x19, // Remaining Length 25
                0x00, // no Session Present
                0x00, // Success
                0x16, // Property Length 22
                0x21, 0x00, 0x0A, // Receive Maximum 10
                0x24, 0x01, // Maximum QoS 1
                0x12, 0x00, 0x02, 'i', 'd', // Assigned Client Identifier "id"
                0x27, 0x00, 0x00, 0x10, 0x00, // Maximum Packet Size 4096
                0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'), // User Property k=v
            MQTT_5);
    assertThat(p.reasonCode()).isZero();
    assertThat(p.properties())
        .containsExactly(
            new WireProperty(0x21, "Receive Maximum", 10),
            new WireProperty(0x24, "Maximum QoS", 1),
            new WireProperty(0x12, "Assigned Client Identifier", "id"),
            new WireProperty(0x27, "Maximum Packet Size", 4096L),
            new WireProperty(0x26, "User Property", new WireProperty.StringPair("k", "v")));

    WirePacket refused =
        WireReader.read(
            b(0x20, 0x03, 0x00, 0x87, 0x00), // CONNACK, Not authorized, no properties
            MQTT_5);
    assertThat(refused.reasonCodes()).containsExactly(0x87);
  }

  @Test
  void publishOf5WithEveryPublishProperty() {
    WirePacket p =
        WireReader.read(
            b(
                0x32, // PUBLISH QoS 1
                0x1B, // Remaining Length 27
                0x00, 0x01, 't', // Topic Name "t"
                0x00, 0x05, // Packet Identifier 5
                0x14, // Property Length 20
                0x01, 0x01, // Payload Format Indicator 1
                0x02, 0x00, 0x00, 0x00, 0x3C, // Message Expiry Interval 60
                0x09, 0x00, 0x02, 0xCA, 0xFE, // Correlation Data CA FE
                0x0B, 0x01, // Subscription Identifier 1
                0x0B, 0xC8, 0x01, // Subscription Identifier 200 (two bytes)
                0x23, 0x00, 0x03, // Topic Alias 3
                'p'), // payload
            MQTT_5);
    assertThat(p.packetId()).isEqualTo(5);
    assertThat(p.topic()).isEqualTo("t");
    assertThat(p.property(0x01)).isEqualTo(1);
    assertThat(p.property(0x02)).isEqualTo(60L);
    assertThat((byte[]) p.property(0x09)).containsExactly(0xCA, 0xFE);
    assertThat(p.propertyValues(0x0B)).containsExactly(1, 200);
    assertThat(p.property(0x23)).isEqualTo(3);
    assertThat(p.payload()).isEqualTo(ascii("p"));

    WirePacket aliasOnly =
        WireReader.read(
            b(
                0x30, 0x07, // PUBLISH QoS 0, Remaining Length 7
                0x00, 0x00, // empty Topic Name: the alias stands for it
                0x03, 0x23, 0x00, 0x01, // Property Length 3, Topic Alias 1
                'z'),
            MQTT_5);
    assertThat(aliasOnly.topic()).isEmpty();
    assertThat(aliasOnly.property(0x23)).isEqualTo(1);
  }

  @Test
  void acknowledgementsOf5InEachLength() {
    WirePacket short2 = WireReader.read(b(0x40, 0x02, 0x00, 0x01), MQTT_5);
    assertThat(short2.reasonCodes()).isEmpty(); // Remaining Length 2: Success
    assertThat(short2.reasonCode()).isZero();

    WirePacket short3 = WireReader.read(b(0x40, 0x03, 0x00, 0x01, 0x10), MQTT_5);
    assertThat(short3.reasonCodes()).containsExactly(0x10); // No matching subscribers
    assertThat(short3.properties()).isEmpty();

    WirePacket full =
        WireReader.read(
            b(
                0x40, 0x0B, // PUBACK, Remaining Length 11
                0x00, 0x01, // Packet Identifier 1
                0x97, // Quota exceeded
                0x07, // Property Length 7
                0x1F, 0x00, 0x04, 'f', 'u', 'l', 'l'), // Reason String "full"
            MQTT_5);
    assertThat(full.reasonCode()).isEqualTo(0x97);
    assertThat(full.property(0x1F)).isEqualTo("full");

    assertThat(WireReader.read(b(0x50, 0x03, 0x00, 0x02, 0x80), MQTT_5).reasonCode())
        .isEqualTo(0x80); // PUBREC, Unspecified error
    assertThat(WireReader.read(b(0x62, 0x03, 0x00, 0x02, 0x92), MQTT_5).reasonCode())
        .isEqualTo(0x92); // PUBREL, Packet Identifier not found
    assertThat(WireReader.read(b(0x70, 0x04, 0x00, 0x02, 0x00, 0x00), MQTT_5).packetId())
        .isEqualTo(2); // PUBCOMP, Success, Property Length 0
  }

  @Test
  void subAckUnsubAckPingRespOf5() {
    WirePacket subAck =
        WireReader.read(
            b(
                0x90, 0x06, // SUBACK, Remaining Length 6
                0x00, 0x03, // Packet Identifier 3
                0x00, // Property Length 0
                0x00, 0x01, 0xA2), // Granted QoS 0, 1, Wildcard Subscriptions not supported
            MQTT_5);
    assertThat(subAck.reasonCodes()).containsExactly(0x00, 0x01, 0xA2);

    WirePacket unsubAck =
        WireReader.read(
            b(
                0xB0, 0x05, // UNSUBACK, Remaining Length 5
                0x00, 0x04, // Packet Identifier 4
                0x00, // Property Length 0
                0x00, 0x11), // Success, No subscription existed
            MQTT_5);
    assertThat(unsubAck.reasonCodes()).containsExactly(0x00, 0x11);

    assertThat(WireReader.read(b(0xD0, 0x00), MQTT_5).typeName()).isEqualTo("PINGRESP");
  }

  @Test
  void disconnectAndAuthOf5() {
    WirePacket normal = WireReader.read(b(0xE0, 0x00), MQTT_5);
    assertThat(normal.reasonCodes()).isEmpty();
    assertThat(normal.reasonCode()).isZero();
    assertThat(WireReader.read(b(0xE0, 0x01, 0x8E), MQTT_5).reasonCode())
        .isEqualTo(0x8E); // Session taken over
    WirePacket moved =
        WireReader.read(
            b(
                0xE0, 0x0A, // DISCONNECT, Remaining Length 10
                0x9C, // Use another server
                0x08, // Property Length 8
                0x1C, 0x00, 0x05, 'o', 't', 'h', 'e', 'r'), // Server Reference "other"
            MQTT_5);
    assertThat(moved.property(0x1C)).isEqualTo("other");

    WirePacket auth =
        WireReader.read(
            b(
                0xF0, 0x0E, // AUTH, Remaining Length 14
                0x18, // Continue authentication
                0x0C, // Property Length 12
                0x15, 0x00, 0x04, 'T', 'E', 'S', 'T', // Authentication Method "TEST"
                0x16, 0x00, 0x02, 0x01, 0x02), // Authentication Data 01 02
            MQTT_5);
    assertThat(auth.reasonCode()).isEqualTo(0x18);
    assertThat(auth.property(0x15)).isEqualTo("TEST");
    assertThat((byte[]) auth.property(0x16)).containsExactly(1, 2);
  }

  // ---- refusals -----------------------------------------------------------------------------

  static Stream<Arguments> forbidden() {
    return Stream.of(
        // fixed header
        refused("type 0", MQTT_3_1_1, "reserved", 0x00, 0x00),
        refused("CONNECT", MQTT_3_1_1, "Client to Server", 0x10, 0x00),
        refused("SUBSCRIBE", MQTT_5, "Client to Server", 0x82, 0x00),
        refused("UNSUBSCRIBE", MQTT_5, "Client to Server", 0xA2, 0x00),
        refused("PINGREQ", MQTT_3_1_1, "Client to Server", 0xC0, 0x00),
        refused("DISCONNECT before 5.0", MQTT_3_1_1, "Client to Server", 0xE0, 0x00),
        refused("AUTH before 5.0", MQTT_3_1_1, "reserved", 0xF0, 0x00),
        refused("PUBACK flags", MQTT_3_1_1, "[MQTT-2.2.2-1]", 0x42, 0x02, 0x00, 0x01),
        refused("PUBREL flags", MQTT_5, "[MQTT-2.1.3-1]", 0x60, 0x02, 0x00, 0x01),
        refused("CONNACK flags", MQTT_5, "[MQTT-2.1.3-1]", 0x21, 0x02, 0x00, 0x00),
        refused("PINGRESP flags", MQTT_3_1_1, "[MQTT-2.2.2-1]", 0xD1, 0x00),
        // Remaining Length
        refused("shorter body", MQTT_3_1_1, "Remaining Length is 3", 0x40, 0x03, 0x00, 0x01),
        refused("longer body", MQTT_3_1_1, "left over", 0x40, 0x03, 0x00, 0x01, 0x00),
        refused("CONNACK of 3", MQTT_3_1_1, "left over", 0x20, 0x03, 0x00, 0x00, 0x00),
        refused("PINGRESP body", MQTT_5, "left over", 0xD0, 0x01, 0x00),
        refused("UNSUBACK 311 body", MQTT_3_1_1, "left over", 0xB0, 0x03, 0x00, 0x01, 0x00),
        refused("not minimal", MQTT_5, "[MQTT-1.5.5-1]", 0x40, 0x82, 0x00, 0x00, 0x01),
        refused("5 bytes", MQTT_5, "at most 4", 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F),
        // PUBLISH
        refused("QoS 3", MQTT_3_1_1, "[MQTT-3.3.1-4]", 0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01),
        refused("DUP at QoS 0", MQTT_5, "[MQTT-3.3.1-2]", 0x38, 0x04, 0x00, 0x01, 't', 0x00),
        refused("#", MQTT_3_1_1, "[MQTT-3.3.2-2]", 0x30, 0x05, 0x00, 0x03, 'a', '/', '#'),
        refused("+", MQTT_5, "[MQTT-3.3.2-2]", 0x30, 0x06, 0x00, 0x03, '+', '/', 'a', 0x00),
        refused("empty topic 311", MQTT_3_1_1, "[MQTT-4.7.3-1]", 0x30, 0x02, 0x00, 0x00),
        refused("empty topic 5", MQTT_5, "without a Topic Alias", 0x30, 0x03, 0x00, 0x00, 0x00),
        refused("PUBLISH id 0", MQTT_3_1_1, "[MQTT-2.3.1-1]", 0x32, 0x05, 0, 1, 't', 0, 0),
        refused("PUBACK id 0", MQTT_5, "[MQTT-2.2.1-4]", 0x40, 0x02, 0x00, 0x00),
        // UTF-8
        refused("overlong NUL", MQTT_3_1_1, "[MQTT-1.5.3-1]", 0x30, 0x04, 0, 2, 0xC0, 0x80),
        refused("surrogate", MQTT_5, "[MQTT-1.5.4-1]", 0x30, 0x06, 0, 3, 0xED, 0xA0, 0x80, 0),
        refused("U+0000", MQTT_3_1_1, "[MQTT-1.5.3-2]", 0x30, 0x04, 0x00, 0x02, 'a', 0x00),
        refused("U+0000 in 5.0", MQTT_5, "[MQTT-1.5.4-2]", 0x30, 0x05, 0x00, 0x02, 'a', 0, 0),
        refused("cut short", MQTT_3_1_1, "ill-formed", 0x30, 0x04, 0x00, 0x02, 0xE2, 0x82),
        refused("F5", MQTT_3_1_1, "ill-formed", 0x30, 0x03, 0x00, 0x01, 0xF5),
        refused("above U+10FFFF", MQTT_5, "ill-formed", 0x30, 7, 0, 4, 0xF4, 0x90, 0x80, 0x80, 0),
        refused("lone continuation", MQTT_3_1_1, "ill-formed", 0x30, 0x03, 0x00, 0x01, 0x80),
        // CONNACK
        refused("return code 6", MQTT_3_1_1, "reserved", 0x20, 0x02, 0x00, 0x06),
        refused("present refused", MQTT_3_1_1, "[MQTT-3.2.2-4]", 0x20, 0x02, 0x01, 0x05),
        refused("present refused 5", MQTT_5, "[MQTT-3.2.2-6]", 0x20, 0x03, 0x01, 0x87, 0x00),
        refused("ack flags", MQTT_5, "[MQTT-3.2.2-1]", 0x20, 0x03, 0x02, 0x00, 0x00),
        refused("ack flags 311", MQTT_3_1_1, "bits 7-1", 0x20, 0x02, 0x80, 0x00),
        refused("CONNACK 0x8B", MQTT_5, "[MQTT-3.2.2-8]", 0x20, 0x03, 0x00, 0x8B, 0x00),
        refused("no Property Length", MQTT_5, "Property Length", 0x20, 0x02, 0x00, 0x00),
        // acknowledgements
        refused("PUBACK 0x92", MQTT_5, "[MQTT-3.4.2-1]", 0x40, 0x03, 0x00, 0x01, 0x92),
        refused("PUBREC 0x8E", MQTT_5, "[MQTT-3.5.2-1]", 0x50, 0x03, 0x00, 0x01, 0x8E),
        refused("PUBREL 0x80", MQTT_5, "[MQTT-3.6.2-1]", 0x62, 0x03, 0x00, 0x01, 0x80),
        refused("PUBCOMP 0x10", MQTT_5, "[MQTT-3.7.2-1]", 0x70, 0x03, 0x00, 0x01, 0x10),
        refused("SUBACK 0x03", MQTT_3_1_1, "[MQTT-3.9.3-2]", 0x90, 0x03, 0x00, 0x01, 0x03),
        refused("SUBACK 0x11", MQTT_5, "[MQTT-3.9.3-2]", 0x90, 0x04, 0x00, 0x01, 0x00, 0x11),
        refused("SUBACK empty", MQTT_3_1_1, "no return code", 0x90, 0x02, 0x00, 0x01),
        refused("UNSUBACK 0x01", MQTT_5, "[MQTT-3.11.3-2]", 0xB0, 0x04, 0x00, 0x01, 0x00, 0x01),
        refused("UNSUBACK empty", MQTT_5, "no Reason Code", 0xB0, 0x03, 0x00, 0x01, 0x00),
        // DISCONNECT and AUTH
        refused("DISCONNECT 0x04", MQTT_5, "[MQTT-3.14.2-1]", 0xE0, 0x01, 0x04),
        refused(
            "Session Expiry on DISCONNECT",
            MQTT_5,
            "[MQTT-3.14.2-2]",
            0xE0,
            0x07,
            0x00,
            0x05,
            0x11,
            0x00,
            0x00,
            0x00,
            0x00),
        refused("AUTH 0x19", MQTT_5, "[MQTT-3.15.2-1]", 0xF0, 0x02, 0x19, 0x00),
        refused("AUTH without method", MQTT_5, "Authentication Method", 0xF0, 0x02, 0x18, 0x00),
        refused("AUTH of 0 bytes", MQTT_5, "Authentication Method", 0xF0, 0x00),
        // properties
        refused(
            "Topic Alias on PUBACK",
            MQTT_5,
            "may not appear in PUBACK",
            0x40,
            0x07,
            0x00,
            0x01,
            0x00,
            0x03,
            0x23,
            0x00,
            0x01),
        refused("unknown 0x7F", MQTT_5, "0x7F may not", 0x20, 0x05, 0, 0, 0x02, 0x7F, 0x00),
        refused(
            "CONNECT's Request Problem Information",
            MQTT_5,
            "may not appear in CONNACK",
            0x20,
            0x05,
            0x00,
            0x00,
            0x02,
            0x17,
            0x01),
        refused(
            "Receive Maximum twice",
            MQTT_5,
            "more than once",
            0x20,
            0x09,
            0x00,
            0x00,
            0x06,
            0x21,
            0x00,
            0x01,
            0x21,
            0x00,
            0x02),
        refused(
            "Reason String twice",
            MQTT_5,
            "more than once",
            0x40,
            0x0C,
            0,
            1,
            0x80,
            0x08,
            0x1F,
            0,
            1,
            'a',
            0x1F,
            0,
            1,
            'b'),
        refused(
            "Subscription Identifier twice outside PUBLISH",
            MQTT_5,
            "may not appear in SUBACK",
            0x90,
            0x06,
            0x00,
            0x01,
            0x02,
            0x0B,
            0x01,
            0x00),
        refused(
            "Topic Alias 0",
            MQTT_5,
            "[MQTT-3.3.2-8]",
            0x30,
            0x07,
            0x00,
            0x01,
            't',
            0x03,
            0x23,
            0x00,
            0x00),
        refused(
            "Subscription Identifier 0",
            MQTT_5,
            "Subscription Identifier 0",
            0x30,
            0x06,
            0x00,
            0x01,
            't',
            0x02,
            0x0B,
            0x00),
        refused("Maximum QoS 2", MQTT_5, "not 0 or 1", 0x20, 0x05, 0, 0, 0x02, 0x24, 0x02),
        refused("Receive Maximum 0", MQTT_5, "Receive Maximum 0", 0x20, 6, 0, 0, 3, 0x21, 0, 0),
        refused(
            "Maximum Packet Size 0",
            MQTT_5,
            "Maximum Packet Size 0",
            0x20,
            0x08,
            0x00,
            0x00,
            0x05,
            0x27,
            0x00,
            0x00,
            0x00,
            0x00),
        refused(
            "Response Topic with a wildcard",
            MQTT_5,
            "[MQTT-3.3.2-14]",
            0x30,
            0x09,
            0x00,
            0x01,
            't',
            0x05,
            0x08,
            0x00,
            0x02,
            'a',
            '#'),
        refused(
            "Property Length past the packet",
            MQTT_5,
            "needs 5 bytes",
            0x20,
            0x04,
            0x00,
            0x00,
            0x05,
            0x21),
        refused(
            "value past the properties",
            MQTT_5,
            "Receive Maximum needs 2",
            0x20,
            0x06,
            0x00,
            0x00,
            0x02,
            0x21,
            0x00,
            0x00),
        refused(
            "bad UTF-8 in a User Property",
            MQTT_5,
            "[MQTT-1.5.4-1]",
            0x40,
            0x0B,
            0,
            1,
            0x00,
            0x07,
            0x26,
            0,
            1,
            'k',
            0,
            1,
            0xFF));
  }

  private static Arguments refused(String name, int level, String because, int... bytes) {
    return Arguments.of(name, level, because, b(bytes));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("forbidden")
  void refusesWhatNoServerMaySend(String name, int level, String because, byte[] packet) {
    assertThatThrownBy(() -> WireReader.read(packet, level))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining(because);
  }

  @Test
  void userPropertiesAndSubscriptionIdentifiersMayRepeat() {
    WirePacket p =
        WireReader.read(
            b(
                0x30, 0x16, // PUBLISH QoS 0, Remaining Length 22
                0x00, 0x01, 't', // Topic Name "t"
                0x12, // Property Length 18
                0x26, 0x00, 0x01, 'a', 0x00, 0x01, '1', // User Property a=1
                0x26, 0x00, 0x01, 'a', 0x00, 0x01, '2', // User Property a=2 (same name)
                0x0B, 0x02, // Subscription Identifier 2
                0x0B, 0x03), // Subscription Identifier 3
            MQTT_5);
    assertThat(p.propertyValues(0x26))
        .containsExactly(
            new WireProperty.StringPair("a", "1"), new WireProperty.StringPair("a", "2"));
    assertThat(p.propertyValues(0x0B)).isEqualTo(List.of(2, 3));
  }

  @Test
  void remainingLengthBoundaries() {
    assertThat(WireReader.remainingLength(b(0x7F))).isEqualTo(127);
    assertThat(WireReader.remainingLength(b(0x80, 0x01))).isEqualTo(128);
    assertThat(WireReader.remainingLength(b(0xFF, 0x7F))).isEqualTo(16_383);
    assertThat(WireReader.remainingLength(b(0x80, 0x80, 0x01))).isEqualTo(16_384);
    assertThat(WireReader.remainingLength(b(0xFF, 0xFF, 0xFF, 0x7F))).isEqualTo(268_435_455);
    assertThatThrownBy(() -> WireReader.remainingLength(b(0x80, 0x80, 0x00)))
        .hasMessageContaining("[MQTT-1.5.5-1]");
    assertThatThrownBy(() -> WireReader.remainingLength(b(0x80))).hasMessageContaining("goes on");
  }

  @Test
  void theReaderSharesNoCodeWithTheCodec() throws IOException {
    // Surefire runs in the module's directory.
    Path sources = Path.of("src/main/java/io/starling/testkit");
    for (String file :
        List.of(
            "WireReader.java",
            "WireCursor.java",
            "WireProperties.java",
            "WirePacket.java",
            "WireProperty.java",
            "WireFormatException.java",
            "WireSession.java")) {
      String text = Files.readString(sources.resolve(file), StandardCharsets.UTF_8);
      assertThat(text)
          .as(file)
          .doesNotContain("io.starling.codec.", "io.starling.broker", "io.netty");
    }
  }
}
