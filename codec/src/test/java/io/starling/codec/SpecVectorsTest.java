package io.starling.codec;

import static io.starling.codec.Bytes.hex;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
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
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Byte-exact vectors, written by hand from the examples and tables of the MQTT 3.1, 3.1.1 and 5.0
 * specifications: each packet encodes to exactly these bytes and these bytes decode to exactly this
 * packet.
 */
class SpecVectorsTest {

  /** One vector: a packet, its version, and its bytes. */
  record Vector(String name, MqttVersion version, MqttPacket packet, byte[] bytes) {
    @Override
    public String toString() {
      return name;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void encodesToTheBytes(Vector v) {
    assertThat(Bytes.toHex(Wire.encode(v.packet(), v.version()))).isEqualTo(Bytes.toHex(v.bytes()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void decodesFromTheBytes(Vector v) {
    boolean connect = v.packet() instanceof Connect;
    MqttPacket decoded = Wire.decodeFrame(v.bytes(), connect ? null : v.version(), Wire.LARGE);
    try {
      assertThat(decoded).isEqualTo(v.packet());
    } finally {
      ReferenceCountUtil.release(decoded);
    }
  }

  static Stream<Vector> vectors() {
    return Stream.of(
        // MQTT 3.1.1 section 3.1.2.10, figure 3.6: flags 0xCE and keep alive 10, with a payload.
        new Vector(
            "3.1.1 CONNECT with will, user name and password",
            MqttVersion.V3_1_1,
            new Connect(
                MqttVersion.V3_1_1,
                "abc",
                true,
                10,
                "user",
                binary("pw"),
                new Will("a/b", binary("hi"), QoS.AT_LEAST_ONCE, false, Properties.EMPTY),
                Properties.EMPTY),
            hex(
                "10", // CONNECT, flags 0000
                "22", // remaining length 34
                "00 04 4D 51 54 54", // protocol name "MQTT"
                "04", // protocol level 4
                "CE", // user name, password, will QoS 1, will flag, clean session
                "00 0A", // keep alive 10 seconds
                "00 03 61 62 63", // client identifier "abc"
                "00 03 61 2F 62", // will topic "a/b"
                "00 02 68 69", // will payload "hi"
                "00 04 75 73 65 72", // user name "user"
                "00 02 70 77")), // password "pw"
        new Vector(
            "3.1 CONNECT with protocol name MQIsdp",
            MqttVersion.V3_1,
            new Connect(MqttVersion.V3_1, "paho", true, 60, null, null, null, Properties.EMPTY),
            hex(
                "10", // CONNECT
                "12", // remaining length 18
                "00 06 4D 51 49 73 64 70", // protocol name "MQIsdp"
                "03", // protocol level 3
                "02", // clean session
                "00 3C", // keep alive 60 seconds
                "00 04 70 61 68 6F")), // client identifier "paho"
        new Vector(
            "3.1.1 CONNECT, empty client id, keep alive off",
            MqttVersion.V3_1_1,
            new Connect(MqttVersion.V3_1_1, "", true, 0, null, null, null, Properties.EMPTY),
            hex(
                "10", // CONNECT
                "0C", // remaining length 12
                "00 04 4D 51 54 54", // protocol name "MQTT"
                "04", // protocol level 4
                "02", // clean session
                "00 00", // keep alive off
                "00 00")), // client identifier ""
        // MQTT 5.0 section 3.1.2.12, figure 3-7 (session expiry interval 10), with more.
        new Vector(
            "5.0 CONNECT with properties and will properties",
            MqttVersion.V5,
            new Connect(
                MqttVersion.V5,
                "abc",
                true,
                10,
                "user",
                binary("pw"),
                new Will(
                    "a/b",
                    binary("hi"),
                    QoS.AT_LEAST_ONCE,
                    false,
                    Properties.builder().add(PropertyId.WILL_DELAY_INTERVAL, 30L).build()),
                Properties.builder()
                    .add(PropertyId.SESSION_EXPIRY_INTERVAL, 10L)
                    .add(PropertyId.RECEIVE_MAXIMUM, 20)
                    .userProperty("k", "v")
                    .build()),
            hex(
                "10", // CONNECT
                "38", // remaining length 56
                "00 04 4D 51 54 54", // protocol name "MQTT"
                "05", // protocol level 5
                "CE", // user name, password, will QoS 1, will flag, clean start
                "00 0A", // keep alive 10 seconds
                "0F", // property length 15
                "11 00 00 00 0A", // session expiry interval 10
                "21 00 14", // receive maximum 20
                "26 00 01 6B 00 01 76", // user property "k" = "v"
                "00 03 61 62 63", // client identifier "abc"
                "05", // will property length 5
                "18 00 00 00 1E", // will delay interval 30
                "00 03 61 2F 62", // will topic "a/b"
                "00 02 68 69", // will payload "hi"
                "00 04 75 73 65 72", // user name "user"
                "00 02 70 77")), // password "pw"
        new Vector(
            "5.0 CONNECT with a password and no user name",
            MqttVersion.V5,
            new Connect(MqttVersion.V5, "c", false, 60, null, binary("pw"), null, Properties.EMPTY),
            hex(
                "10", // CONNECT
                "12", // remaining length 18
                "00 04 4D 51 54 54", // protocol name "MQTT"
                "05", // protocol level 5
                "40", // password only, no clean start
                "00 3C", // keep alive 60 seconds
                "00", // property length 0
                "00 01 63", // client identifier "c"
                "00 02 70 77")), // password "pw"
        new Vector(
            "3.1.1 CONNACK, session present",
            MqttVersion.V3_1_1,
            new ConnAck(true, ReasonCode.SUCCESS, Properties.EMPTY),
            hex(
                "20", // CONNACK
                "02", // remaining length 2
                "01", // session present
                "00")), // return code 0, accepted
        new Vector(
            "3.1.1 CONNACK, not authorized",
            MqttVersion.V3_1_1,
            new ConnAck(false, ReasonCode.NOT_AUTHORIZED, Properties.EMPTY),
            hex(
                "20", // CONNACK
                "02", // remaining length 2
                "00", // no session present
                "05")), // return code 5, not authorized
        new Vector(
            "3.1 CONNACK, identifier rejected",
            MqttVersion.V3_1,
            new ConnAck(false, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, Properties.EMPTY),
            hex(
                "20", // CONNACK
                "02", // remaining length 2
                "00", // reserved
                "02")), // return code 2, identifier rejected
        new Vector(
            "5.0 CONNACK with properties",
            MqttVersion.V5,
            new ConnAck(
                false,
                ReasonCode.SUCCESS,
                Properties.builder()
                    .add(PropertyId.TOPIC_ALIAS_MAXIMUM, 10)
                    .add(PropertyId.MAXIMUM_QOS, 1)
                    .build()),
            hex(
                "20", // CONNACK
                "08", // remaining length 8
                "00", // no session present
                "00", // reason code Success
                "05", // property length 5
                "22 00 0A", // topic alias maximum 10
                "24 01")), // maximum QoS 1
        new Vector(
            "5.0 CONNACK, refused with 0x87",
            MqttVersion.V5,
            new ConnAck(false, ReasonCode.NOT_AUTHORIZED, Properties.EMPTY),
            hex(
                "20", // CONNACK
                "03", // remaining length 3
                "00", // no session present
                "87", // reason code Not authorized
                "00")), // property length 0
        // MQTT 3.1.1 section 3.3.2.3: topic name "a/b", packet identifier 10.
        new Vector(
            "3.1.1 PUBLISH QoS 1 to a/b, packet id 10",
            MqttVersion.V3_1_1,
            publish("a/b", QoS.AT_LEAST_ONCE, false, false, 10, Properties.EMPTY, "hello"),
            hex(
                "32", // PUBLISH, QoS 1
                "0C", // remaining length 12
                "00 03 61 2F 62", // topic name "a/b"
                "00 0A", // packet identifier 10
                "68 65 6C 6C 6F")), // payload "hello"
        new Vector(
            "5.0 PUBLISH QoS 1 to a/b, packet id 10",
            MqttVersion.V5,
            publish("a/b", QoS.AT_LEAST_ONCE, false, false, 10, Properties.EMPTY, "hello"),
            hex(
                "32", // PUBLISH, QoS 1
                "0D", // remaining length 13
                "00 03 61 2F 62", // topic name "a/b"
                "00 0A", // packet identifier 10
                "00", // property length 0
                "68 65 6C 6C 6F")), // payload "hello"
        new Vector(
            "3.1.1 PUBLISH QoS 2, DUP and RETAIN",
            MqttVersion.V3_1_1,
            publish("t", QoS.EXACTLY_ONCE, true, true, 1, Properties.EMPTY, "x"),
            hex(
                "3D", // PUBLISH, DUP, QoS 2, RETAIN
                "06", // remaining length 6
                "00 01 74", // topic name "t"
                "00 01", // packet identifier 1
                "78")), // payload "x"
        new Vector(
            "3.1 PUBLISH QoS 0, empty payload",
            MqttVersion.V3_1,
            publish("a/b", QoS.AT_MOST_ONCE, false, false, 0, Properties.EMPTY, ""),
            hex(
                "30", // PUBLISH, QoS 0
                "05", // remaining length 5
                "00 03 61 2F 62")), // topic name "a/b", no packet identifier, no payload
        new Vector(
            "5.0 PUBLISH QoS 0, retained, with properties",
            MqttVersion.V5,
            publish(
                "a/b",
                QoS.AT_MOST_ONCE,
                true,
                false,
                0,
                Properties.builder()
                    .add(PropertyId.PAYLOAD_FORMAT_INDICATOR, 1)
                    .add(PropertyId.TOPIC_ALIAS, 5)
                    .build(),
                "hi"),
            hex(
                "31", // PUBLISH, QoS 0, RETAIN
                "0D", // remaining length 13
                "00 03 61 2F 62", // topic name "a/b"
                "05", // property length 5
                "01 01", // payload format indicator 1, UTF-8
                "23 00 05", // topic alias 5
                "68 69")), // payload "hi"
        new Vector(
            "5.0 PUBLISH with an empty topic and a topic alias",
            MqttVersion.V5,
            publish(
                "",
                QoS.AT_MOST_ONCE,
                false,
                false,
                0,
                Properties.builder().add(PropertyId.TOPIC_ALIAS, 5).build(),
                "hi"),
            hex(
                "30", // PUBLISH, QoS 0
                "08", // remaining length 8
                "00 00", // topic name "", the alias stands for it
                "03", // property length 3
                "23 00 05", // topic alias 5
                "68 69")), // payload "hi"
        new Vector(
            "5.0 PUBLISH with two subscription identifiers",
            MqttVersion.V5,
            publish(
                "a",
                QoS.AT_MOST_ONCE,
                false,
                false,
                0,
                Properties.builder()
                    .add(PropertyId.SUBSCRIPTION_IDENTIFIER, 1)
                    .add(PropertyId.SUBSCRIPTION_IDENTIFIER, 268_435_455)
                    .build(),
                ""),
            hex(
                "30", // PUBLISH, QoS 0
                "0B", // remaining length 11
                "00 01 61", // topic name "a"
                "07", // property length 7
                "0B 01", // subscription identifier 1
                "0B FF FF FF 7F")), // subscription identifier 268,435,455
        new Vector(
            "3.1.1 PUBACK",
            MqttVersion.V3_1_1,
            PubAck.of(10),
            hex(
                "40", // PUBACK
                "02", // remaining length 2
                "00 0A")), // packet identifier 10
        new Vector(
            "3.1.1 PUBREC",
            MqttVersion.V3_1_1,
            PubRec.of(10),
            hex(
                "50", // PUBREC
                "02", // remaining length 2
                "00 0A")), // packet identifier 10
        new Vector(
            "3.1.1 PUBREL",
            MqttVersion.V3_1_1,
            PubRel.of(10),
            hex(
                "62", // PUBREL, flags 0010
                "02", // remaining length 2
                "00 0A")), // packet identifier 10
        new Vector(
            "3.1.1 PUBCOMP",
            MqttVersion.V3_1_1,
            PubComp.of(10),
            hex(
                "70", // PUBCOMP
                "02", // remaining length 2
                "00 0A")), // packet identifier 10
        new Vector(
            "5.0 PUBACK, Success without properties, short form",
            MqttVersion.V5,
            PubAck.of(65535),
            hex(
                "40", // PUBACK
                "02", // remaining length 2: reason code and properties left off
                "FF FF")), // packet identifier 65535
        new Vector(
            "5.0 PUBACK, no matching subscribers",
            MqttVersion.V5,
            new PubAck(10, ReasonCode.NO_MATCHING_SUBSCRIBERS, Properties.EMPTY),
            hex(
                "40", // PUBACK
                "03", // remaining length 3: properties left off
                "00 0A", // packet identifier 10
                "10")), // reason code No matching subscribers
        new Vector(
            "5.0 PUBREC with a reason string",
            MqttVersion.V5,
            new PubRec(
                10,
                ReasonCode.UNSPECIFIED_ERROR,
                Properties.builder().add(PropertyId.REASON_STRING, "x").build()),
            hex(
                "50", // PUBREC
                "08", // remaining length 8
                "00 0A", // packet identifier 10
                "80", // reason code Unspecified error
                "04", // property length 4
                "1F 00 01 78")), // reason string "x"
        new Vector(
            "5.0 PUBREL, packet identifier not found",
            MqttVersion.V5,
            new PubRel(10, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND, Properties.EMPTY),
            hex(
                "62", // PUBREL
                "03", // remaining length 3
                "00 0A", // packet identifier 10
                "92")), // reason code Packet Identifier not found
        new Vector(
            "5.0 PUBCOMP, Success with a user property",
            MqttVersion.V5,
            new PubComp(10, ReasonCode.SUCCESS, Properties.builder().userProperty("k", "").build()),
            hex(
                "70", // PUBCOMP
                "0A", // remaining length 10
                "00 0A", // packet identifier 10
                "00", // reason code Success, written because properties follow
                "06", // property length 6
                "26 00 01 6B 00 00")), // user property "k" = ""
        // MQTT 3.1.1 section 3.8.3.1, figure 3.22: "a/b" QoS 1 and "c/d" QoS 2.
        new Vector(
            "3.1.1 SUBSCRIBE with two filters",
            MqttVersion.V3_1_1,
            new Subscribe(
                10,
                List.of(
                    Subscription.of("a/b", QoS.AT_LEAST_ONCE),
                    Subscription.of("c/d", QoS.EXACTLY_ONCE)),
                Properties.EMPTY),
            hex(
                "82", // SUBSCRIBE, flags 0010
                "0E", // remaining length 14
                "00 0A", // packet identifier 10
                "00 03 61 2F 62", // topic filter "a/b"
                "01", // requested QoS 1
                "00 03 63 2F 64", // topic filter "c/d"
                "02")), // requested QoS 2
        new Vector(
            "5.0 SUBSCRIBE with options and a subscription identifier",
            MqttVersion.V5,
            new Subscribe(
                10,
                List.of(
                    new Subscription(
                        "a/+", QoS.AT_LEAST_ONCE, true, true, RetainHandling.DO_NOT_SEND),
                    new Subscription(
                        "$share/g/c/#",
                        QoS.EXACTLY_ONCE,
                        false,
                        false,
                        RetainHandling.SEND_IF_NEW_SUBSCRIPTION)),
                Properties.builder().add(PropertyId.SUBSCRIPTION_IDENTIFIER, 200).build()),
            hex(
                "82", // SUBSCRIBE
                "1B", // remaining length 27
                "00 0A", // packet identifier 10
                "03", // property length 3
                "0B C8 01", // subscription identifier 200
                "00 03 61 2F 2B", // topic filter "a/+"
                "2D", // retain handling 2, retain as published, no local, QoS 1
                "00 0C 24 73 68 61 72 65 2F 67 2F 63 2F 23", // topic filter "$share/g/c/#"
                "12")), // retain handling 1, QoS 2
        // MQTT 3.1.1 section 3.9.3, figure 3.26: granted QoS 0, granted QoS 2, failure.
        new Vector(
            "3.1.1 SUBACK with a 0x80 failure",
            MqttVersion.V3_1_1,
            new SubAck(
                10,
                List.of(ReasonCode.SUCCESS, ReasonCode.GRANTED_QOS_2, ReasonCode.UNSPECIFIED_ERROR),
                Properties.EMPTY),
            hex(
                "90", // SUBACK
                "05", // remaining length 5
                "00 0A", // packet identifier 10
                "00", // success, maximum QoS 0
                "02", // success, maximum QoS 2
                "80")), // failure
        new Vector(
            "5.0 SUBACK with a 0xA2 refusal",
            MqttVersion.V5,
            new SubAck(
                10,
                List.of(
                    ReasonCode.GRANTED_QOS_1,
                    ReasonCode.GRANTED_QOS_2,
                    ReasonCode.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED),
                Properties.EMPTY),
            hex(
                "90", // SUBACK
                "06", // remaining length 6
                "00 0A", // packet identifier 10
                "00", // property length 0
                "01", // granted QoS 1
                "02", // granted QoS 2
                "A2")), // wildcard subscriptions not supported
        new Vector(
            "3.1.1 UNSUBSCRIBE with two filters",
            MqttVersion.V3_1_1,
            new Unsubscribe(10, List.of("a/b", "c/d"), Properties.EMPTY),
            hex(
                "A2", // UNSUBSCRIBE, flags 0010
                "0C", // remaining length 12
                "00 0A", // packet identifier 10
                "00 03 61 2F 62", // topic filter "a/b"
                "00 03 63 2F 64")), // topic filter "c/d"
        new Vector(
            "5.0 UNSUBSCRIBE with a user property",
            MqttVersion.V5,
            new Unsubscribe(10, List.of("#"), Properties.builder().userProperty("", "v").build()),
            hex(
                "A2", // UNSUBSCRIBE
                "0C", // remaining length 12
                "00 0A", // packet identifier 10
                "06", // property length 6
                "26 00 00 00 01 76", // user property "" = "v"
                "00 01 23")), // topic filter "#"
        new Vector(
            "3.1.1 UNSUBACK",
            MqttVersion.V3_1_1,
            new UnsubAck(10, List.of(), Properties.EMPTY),
            hex(
                "B0", // UNSUBACK
                "02", // remaining length 2
                "00 0A")), // packet identifier 10
        new Vector(
            "5.0 UNSUBACK with two reason codes",
            MqttVersion.V5,
            new UnsubAck(
                10,
                List.of(ReasonCode.SUCCESS, ReasonCode.NO_SUBSCRIPTION_EXISTED),
                Properties.EMPTY),
            hex(
                "B0", // UNSUBACK
                "05", // remaining length 5
                "00 0A", // packet identifier 10
                "00", // property length 0
                "00", // Success
                "11")), // No subscription existed
        new Vector(
            "3.1.1 PINGREQ",
            MqttVersion.V3_1_1,
            PingReq.INSTANCE,
            hex(
                "C0", // PINGREQ
                "00")), // remaining length 0
        new Vector(
            "5.0 PINGRESP",
            MqttVersion.V5,
            PingResp.INSTANCE,
            hex(
                "D0", // PINGRESP
                "00")), // remaining length 0
        new Vector(
            "3.1.1 DISCONNECT",
            MqttVersion.V3_1_1,
            Disconnect.NORMAL,
            hex(
                "E0", // DISCONNECT
                "00")), // remaining length 0
        new Vector(
            "5.0 DISCONNECT, normal, short form",
            MqttVersion.V5,
            Disconnect.NORMAL,
            hex(
                "E0", // DISCONNECT
                "00")), // remaining length 0: reason code Success and no properties
        new Vector(
            "5.0 DISCONNECT with will message and session expiry",
            MqttVersion.V5,
            new Disconnect(
                ReasonCode.DISCONNECT_WITH_WILL,
                Properties.builder().add(PropertyId.SESSION_EXPIRY_INTERVAL, 0L).build()),
            hex(
                "E0", // DISCONNECT
                "07", // remaining length 7
                "04", // reason code Disconnect with Will Message
                "05", // property length 5
                "11 00 00 00 00")), // session expiry interval 0
        new Vector(
            "5.0 AUTH, short form",
            MqttVersion.V5,
            new Auth(ReasonCode.SUCCESS, Properties.EMPTY),
            hex(
                "F0", // AUTH
                "00")), // remaining length 0: Success, no properties
        new Vector(
            "5.0 AUTH, continue authentication",
            MqttVersion.V5,
            new Auth(
                ReasonCode.CONTINUE_AUTHENTICATION,
                Properties.builder()
                    .add(PropertyId.AUTHENTICATION_METHOD, "SCRAM")
                    .add(PropertyId.AUTHENTICATION_DATA, BinaryData.of(new byte[] {1, 2}))
                    .build()),
            hex(
                "F0", // AUTH
                "0F", // remaining length 15
                "18", // reason code Continue authentication
                "0D", // property length 13
                "15 00 05 53 43 52 41 4D", // authentication method "SCRAM"
                "16 00 02 01 02")), // authentication data 01 02
        // 3.1.1 has no shared subscriptions: "$share/g" is a plain filter there.
        new Vector(
            "3.1.1 SUBSCRIBE to $share/g, a plain filter before 5.0",
            MqttVersion.V3_1_1,
            new Subscribe(
                1, List.of(Subscription.of("$share/g", QoS.AT_MOST_ONCE)), Properties.EMPTY),
            hex(
                "82", // SUBSCRIBE
                "0D", // remaining length 13
                "00 01", // packet identifier 1
                "00 08 24 73 68 61 72 65 2F 67", // topic filter "$share/g"
                "00"))); // requested QoS 0
  }

  // ---- decode only: forms the encoder does not write ------------------------------------------

  static Stream<Arguments> decodeOnly() {
    return Stream.of(
        Arguments.of(
            "3.1 PUBREL with DUP",
            MqttVersion.V3_1,
            hex(
                "6A", // PUBREL, DUP and QoS 1, as 3.1 allowed on a retry
                "02", // remaining length 2
                "00 0A"), // packet identifier 10
            PubRel.of(10)),
        Arguments.of(
            "3.1 SUBSCRIBE with DUP",
            MqttVersion.V3_1,
            hex(
                "8A", // SUBSCRIBE, DUP and QoS 1
                "06", // remaining length 6
                "00 0A", // packet identifier 10
                "00 01 61", // topic filter "a"
                "00"), // requested QoS 0
            new Subscribe(10, List.of(Subscription.of("a", QoS.AT_MOST_ONCE)), Properties.EMPTY)),
        Arguments.of(
            "3.1 UNSUBSCRIBE with DUP",
            MqttVersion.V3_1,
            hex(
                "AA", // UNSUBSCRIBE, DUP and QoS 1
                "05", // remaining length 5
                "00 0A", // packet identifier 10
                "00 01 61"), // topic filter "a"
            new Unsubscribe(10, List.of("a"), Properties.EMPTY)),
        Arguments.of(
            "5.0 PUBACK with a property length of 0",
            MqttVersion.V5,
            hex(
                "40", // PUBACK
                "04", // remaining length 4
                "00 0A", // packet identifier 10
                "00", // reason code Success
                "00"), // property length 0
            PubAck.of(10)),
        Arguments.of(
            "5.0 DISCONNECT with a reason code only",
            MqttVersion.V5,
            hex(
                "E0", // DISCONNECT
                "01", // remaining length 1
                "00"), // reason code Normal disconnection; properties left off
            Disconnect.NORMAL));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("decodeOnly")
  void decodesFormsTheEncoderDoesNotWrite(
      String name, MqttVersion version, byte[] bytes, MqttPacket expected) {
    assertThat(Wire.decodeFrame(bytes, version, Wire.LARGE)).isEqualTo(expected);
  }

  // ---- remaining length boundaries, MQTT 3.1.1 section 2.2.3 table 2.4 ---------------------

  static Stream<Arguments> remainingLengths() {
    return Stream.of(
        Arguments.of(127, "30 7F"), // largest 1-byte remaining length
        Arguments.of(128, "30 80 01"), // smallest 2-byte
        Arguments.of(16_383, "30 FF 7F"), // largest 2-byte
        Arguments.of(16_384, "30 80 80 01"), // smallest 3-byte
        Arguments.of(2_097_151, "30 FF FF 7F"), // largest 3-byte
        Arguments.of(2_097_152, "30 80 80 80 01")); // smallest 4-byte
  }

  @ParameterizedTest(name = "remaining length {0}")
  @MethodSource("remainingLengths")
  void remainingLengthAtEachBoundary(int remaining, String header) {
    // QoS 0 PUBLISH to "t": 3 bytes of topic name, the rest payload.
    byte[] payload = new byte[remaining - 3];
    Publish publish =
        new Publish(
            "t",
            QoS.AT_MOST_ONCE,
            false,
            false,
            0,
            Properties.EMPTY,
            Unpooled.wrappedBuffer(payload));
    byte[] bytes = Wire.encode(publish, MqttVersion.V3_1_1);
    byte[] expectedHeader = hex(header, "00 01 74");
    assertThat(bytes).hasSize(expectedHeader.length + payload.length);
    assertThat(Bytes.toHex(Arrays.copyOf(bytes, expectedHeader.length)))
        .isEqualTo(Bytes.toHex(expectedHeader));
    MqttPacket decoded = Wire.decodeFrame(bytes, MqttVersion.V3_1_1, Wire.LARGE);
    try {
      assertThat(decoded).isEqualTo(publish);
    } finally {
      ReferenceCountUtil.release(decoded);
    }
  }

  @Test
  void largestRemainingLengthIsFramedWithoutBuffering() {
    // 268,435,455 in four bytes, section 2.2.3: within the protocol limit, so the decoder waits.
    TrackingAllocator alloc = new TrackingAllocator();
    EmbeddedChannel channel =
        new EmbeddedChannel(MqttDecoder.forClient(Wire.LARGE, MqttVersion.V3_1_1));
    channel.config().setAllocator(alloc);
    byte[] header =
        hex(
            "30", // PUBLISH
            "FF FF FF 7F", // remaining length 268,435,455
            "00 01 74"); // topic name "t", then the body stops
    channel.writeInbound(alloc.copyOf(header, 0, header.length));
    Object inbound = channel.readInbound();
    assertThat(inbound).isNull();
    assertThat(alloc.largestArrayBytes()).isLessThan(64);
    channel.finishAndReleaseAll();
    assertThat(alloc.unreleased()).isEmpty();
  }

  private static BinaryData binary(String ascii) {
    return BinaryData.of(ascii.getBytes(StandardCharsets.US_ASCII));
  }

  private static Publish publish(
      String topic,
      QoS qos,
      boolean retain,
      boolean dup,
      int packetId,
      Properties properties,
      String payload) {
    ByteBuf buf = Unpooled.wrappedBuffer(payload.getBytes(StandardCharsets.UTF_8));
    return new Publish(topic, qos, retain, dup, packetId, properties, buf);
  }
}
