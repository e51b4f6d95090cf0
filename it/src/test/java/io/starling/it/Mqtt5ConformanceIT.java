package io.starling.it;

import static io.starling.testkit.Packets.connect5;
import static io.starling.testkit.Packets.props;
import static io.starling.testkit.Packets.publish5;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.Protocol;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
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
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.codec.packet.UnsubAck;
import io.starling.codec.packet.Unsubscribe;
import io.starling.codec.packet.Will;
import io.starling.codec.wire.PacketEncoder;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MQTT 5.0 statements of {@code docs/conformance-v5.md} that no other test covered, checked on raw
 * sockets: breaches written as hand-made bytes (the codec refuses to encode them) get the reason
 * code the specification names and a close, and the broker's own packets, read back through the
 * strict decoder, show identifiers, flags, resends and properties as the statements require.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Mqtt5ConformanceIT {
  private static final Duration QUIET = Duration.ofMillis(300);
  private static Broker broker;
  private final List<RawClient> clients = new ArrayList<>();

  @BeforeAll
  static void startBroker() {
    broker = TestBroker.start(BrokerConfig.defaults().withListener("127.0.0.1", 0));
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @AfterEach
  void closeClients() {
    for (RawClient c : clients) {
      try {
        c.close();
      } catch (IOException e) {
        // closed by the broker already
      }
    }
  }

  // ---- breaches after CONNACK: DISCONNECT with the reason code, then close ------------------

  static Stream<Arguments> breaches() {
    return Stream.of(
        breach("PINGREQ flags 0001", "C1 00", 0x81),
        breach("PUBREL flags 0000", "60 02 00 01", 0x81),
        breach("SUBSCRIBE flags 0000", frame(0x80, "00 01 00", str("a"), "00"), 0x81),
        breach("UNSUBSCRIBE flags 0000", frame(0xA0, "00 01 00", str("a")), 0x81),
        breach("DISCONNECT flags 0001", "E1 00", 0x81),
        breach("AUTH flags 0001", "F1 00", 0x81),
        breach("PUBLISH QoS 3", frame(0x36, str("a"), "00 01 00"), 0x81),
        breach("PUBLISH DUP at QoS 0", frame(0x38, str("a"), "00"), 0x81),
        breach("topic with U+0000", frame(0x30, "00 03 61 00 62 00"), 0x81),
        breach("topic with a surrogate", frame(0x30, "00 03 ED A0 80 00"), 0x81),
        breach(
            "user property name not UTF-8",
            frame(0x30, str("a"), "06 26 00 01 FF", str("v")),
            0x81),
        breach("response topic not UTF-8", frame(0x30, str("a"), "04 08 00 01 FF"), 0x81),
        breach("content type not UTF-8", frame(0x30, str("a"), "04 03 00 01 FF"), 0x81),
        breach("response topic with #", frame(0x30, str("a"), "06 08", str("r/#")), 0x82),
        breach("topic name with +", frame(0x30, str("a/+"), "00"), 0x90),
        breach("topic name with #", frame(0x30, str("a/#"), "00"), 0x90),
        breach("empty topic without alias", frame(0x30, str(""), "00"), 0x82),
        breach("PUBLISH QoS 1 packet id 0", frame(0x32, str("a"), "00 00 00"), 0x82),
        breach("SUBSCRIBE packet id 0", frame(0x82, "00 00 00", str("a"), "00"), 0x82),
        breach("SUBSCRIBE filter not UTF-8", frame(0x82, "00 01 00 00 02 C3 28 00"), 0x81),
        breach("SUBSCRIBE without a filter", frame(0x82, "00 01 00"), 0x82),
        breach("SUBSCRIBE option bit 6", frame(0x82, "00 01 00", str("a"), "40"), 0x81),
        breach("SUBSCRIBE option bit 7", frame(0x82, "00 01 00", str("a"), "80"), 0x81),
        breach(
            "no local on a shared filter", frame(0x82, "00 01 00", str("$share/g/a"), "04"), 0x82),
        breach("filter a/#/b", frame(0x82, "00 01 00", str("a/#/b"), "00"), 0x8F),
        breach("filter a+/b", frame(0x82, "00 01 00", str("a+/b"), "00"), 0x8F),
        breach("empty filter", frame(0x82, "00 01 00", str(""), "00"), 0x8F),
        breach("filter $share//a", frame(0x82, "00 01 00", str("$share//a"), "00"), 0x8F),
        breach("filter $share/g", frame(0x82, "00 01 00", str("$share/g"), "00"), 0x8F),
        breach("filter $share/g#/a", frame(0x82, "00 01 00", str("$share/g#/a"), "00"), 0x8F),
        breach("UNSUBSCRIBE filter not UTF-8", frame(0xA2, "00 01 00 00 02 C3 28"), 0x81),
        breach("UNSUBSCRIBE without a filter", frame(0xA2, "00 01 00"), 0x82),
        breach("a second CONNECT", connectBytes(0x02, "00", str("again")), 0x82));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("breaches")
  void aBreachAfterConnAckGetsDisconnectWithItsReasonCodeThenClose(
      String name, byte[] bytes, int reason) throws IOException {
    RawClient c = connected("breach");
    c.send(bytes);
    Disconnect d = c.read(Disconnect.class);
    assertThat(d.reasonCode().value()).as(name).isEqualTo(reason);
    assertThat(d.properties().contains(PropertyId.SESSION_EXPIRY_INTERVAL)).isFalse();
    // Nothing more after the DISCONNECT: the next read finds the connection closed.
    assertThatThrownBy(() -> c.read(Duration.ofSeconds(5)))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(SocketTimeoutException.class);
    assertAnotherClientWorks();
  }

  // ---- bad CONNECTs: a refusing CONNACK or nothing, then close; never DISCONNECT ------------

  /** A bad CONNECT and what the spec has the server do: a CONNACK code, or (null) just close. */
  private static Arguments bad(String name, byte[] bytes, Integer connAck) {
    return Arguments.of(name, bytes, connAck);
  }

  static Stream<Arguments> badConnects() {
    // 5.0 4.13.1: a Malformed Packet or Protocol Error in CONNECT may be answered with CONNACK
    // 0x81 / 0x82 before the close [MQTT-4.13.1-1], and Starling does once the CONNECT says 5.0;
    // an unknown protocol name, or a first packet that is not CONNECT, is closed at once
    // [MQTT-3.1.2-1] [MQTT-3.1.0-1].
    return Stream.of(
        bad("protocol name MQTX", frame(0x10, str("MQTX"), "05 02 00 3C 00", str("c")), null),
        bad("reserved connect flag", connectBytes(0x03, "00", str("c")), 0x81),
        bad("will QoS without will flag", connectBytes(0x0A, "00", str("c")), 0x81),
        bad("will retain without will flag", connectBytes(0x22, "00", str("c")), 0x81),
        bad("will QoS 3", connectBytes(0x1E, "00", str("c"), "00", str("w"), str("x")), 0x81),
        bad("will flag without will topic", connectBytes(0x06, "00", str("c")), 0x81),
        bad("user name flag without user name", connectBytes(0x82, "00", str("c")), 0x81),
        bad("password flag without password", connectBytes(0x42, "00", str("c")), 0x81),
        bad("bytes after the last field", connectBytes(0x02, "00", str("c"), str("u")), 0x81),
        bad("no client identifier", connectBytes(0x02, "00"), 0x81),
        bad("client identifier not UTF-8", connectBytes(0x02, "00", "00 03 ED A0 80"), 0x81),
        bad(
            "will topic not UTF-8",
            connectBytes(0x06, "00", str("c"), "00 00 02 C3 28", str("x")),
            0x81),
        bad("user name not UTF-8", connectBytes(0x82, "00", str("c"), "00 03 E0 80 AF"), 0x81),
        bad("unknown property 0x7F", connectBytes(0x02, "02 7F 00", str("c")), 0x81),
        bad("PUBLISH before CONNECT", frame(0x30, str("a"), "00 68 69"), null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badConnects")
  void aBadConnectGetsItsRefusingConnAckOrNothingThenClose(
      String name, byte[] bytes, Integer connAck) throws IOException {
    RawClient c = raw();
    c.send(bytes);
    MqttPacket first;
    try {
      first = c.read(Duration.ofSeconds(5));
    } catch (SocketTimeoutException e) {
      throw new AssertionError(name + ": neither answered nor closed", e);
    } catch (IOException closed) {
      first = null;
    }
    if (connAck == null) {
      assertThat(first).as(name + ": closed without a CONNACK").isNull();
    } else {
      assertThat(first).as(name).isInstanceOf(ConnAck.class);
      ConnAck ack = (ConnAck) first;
      assertThat(ack.reasonCode().value()).as(name).isEqualTo(connAck);
      assertThat(ack.sessionPresent()).isFalse();
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).as(name + ": closed").isTrue();
    }
    assertAnotherClientWorks();
  }

  @Test
  void anUnsupportedProtocolLevelIsRefusedAndClosed() throws IOException {
    RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V3_1_1);
    clients.add(c);
    c.send(frame(0x10, str("MQTT"), "06 02 00 3C 00", str("c")));
    assertThat(c.read(ConnAck.class).reasonCode()).isNotEqualTo(ReasonCode.SUCCESS);
    assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
  }

  @Test
  void whatFollowsARefusedConnectIsNotProcessed() throws IOException {
    String topic = "c5/refused/" + ItSupport.uniqueId("t");
    RawClient c = raw();
    Properties method = props(PropertyId.AUTHENTICATION_METHOD, "NO-SUCH-METHOD");
    c.send(concat(encode(connect5(ItSupport.uniqueId("refused"), method)), retained(topic, "x")));
    assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.BAD_AUTHENTICATION_METHOD);
    assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    RawClient sub = connected("refused-sub");
    sub.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    sub.read(SubAck.class);
    expectNothing(sub);
  }

  @Test
  void anAuthAnswerWithAReasonCodeOtherThanContinueEndsTheExchange() throws IOException {
    Broker b = TestBroker.start(BrokerConfig.defaults().withListener("127.0.0.1", 0));
    try {
      EnhancedAuthIT.ChallengeAuthenticator auth = new EnhancedAuthIT.ChallengeAuthenticator();
      b.addEnhancedAuthenticator(auth);
      RawClient c = RawClient.connect("127.0.0.1", b.port(), MqttVersion.V5);
      clients.add(c);
      c.send(
          connect5(
              ItSupport.uniqueId("auth"), props(PropertyId.AUTHENTICATION_METHOD, auth.method())));
      Auth challenge = c.read(Auth.class);
      assertThat(challenge.reasonCode()).isEqualTo(ReasonCode.CONTINUE_AUTHENTICATION);
      assertThat(challenge.properties().stringValue(PropertyId.AUTHENTICATION_METHOD))
          .hasValue(auth.method());
      // The right answer, but with reason code 0x19 instead of 0x18.
      Properties answer =
          Properties.builder()
              .add(PropertyId.AUTHENTICATION_METHOD, auth.method())
              .add(PropertyId.AUTHENTICATION_DATA, BinaryData.of(ItSupport.utf8("nonce-42:secret")))
              .build();
      c.send(new Auth(ReasonCode.REAUTHENTICATE, answer));
      // A Protocol Error, answered with CONNACK since no DISCONNECT may precede it
      // [MQTT-3.14.0-1] [MQTT-4.12.0-4]; the exchange does not go on to success.
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.PROTOCOL_ERROR);
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    } finally {
      b.close();
    }
  }

  // ---- CONNACK ------------------------------------------------------------------------------

  @Test
  void connAckComesFirstAndOnlyOnceEvenWhenPacketsArePipelined() throws IOException {
    RawClient c = raw();
    String id = ItSupport.uniqueId("first");
    c.send(
        concat(
            encode(connect5(id, Properties.EMPTY)),
            encode(Packets.subscribe(42, "c5/first", QoS.AT_LEAST_ONCE)),
            encode(PingReq.INSTANCE)));
    ConnAck ack = c.read(ConnAck.class);
    assertThat(ack.reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    assertThat(ack.sessionPresent()).isFalse();
    assertThat(ack.properties().contains(PropertyId.RESPONSE_INFORMATION)).isFalse();
    assertThat(ack.properties().contains(PropertyId.AUTHENTICATION_METHOD)).isFalse();
    assertThat(ack.properties().contains(PropertyId.ASSIGNED_CLIENT_IDENTIFIER)).isFalse();
    SubAck subAck = c.read(SubAck.class);
    assertThat(subAck.packetId()).isEqualTo(42);
    assertThat(c.read()).isInstanceOf(PingResp.class);
    expectNothing(c);
  }

  @Test
  void clientIdentifiersAreAcceptedOrAssignedUniquely() throws IOException {
    for (String id : List.of("a", "abcdefghijklmnopqrstuVW")) {
      RawClient c = raw();
      c.send(connect5(id, Properties.EMPTY));
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    }
    List<String> assigned = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      RawClient c = raw();
      c.send(connect5("", Properties.EMPTY));
      ConnAck ack = c.read(ConnAck.class);
      assertThat(ack.reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      assigned.add(
          ack.properties().stringValue(PropertyId.ASSIGNED_CLIENT_IDENTIFIER).orElseThrow());
    }
    assertThat(assigned.get(0)).isNotEmpty().isNotEqualTo(assigned.get(1));
  }

  @Test
  void willAndSubscriptionsBeyondTheBrokersQosAndRetainAreRefusedOrCapped() throws IOException {
    Broker limited =
        TestBroker.start(
            BrokerConfig.defaults()
                .withProtocol(new Protocol(1, false, 0, 1024, 3600, 65535, "", "", false)));
    try {
      Will qos2 = Packets.will("c5/will", "x", QoS.EXACTLY_ONCE, false);
      Will retained = Packets.will("c5/will", "x", QoS.AT_MOST_ONCE, true);
      for (Will w : List.of(qos2, retained)) {
        RawClient c = RawClient.connect("127.0.0.1", limited.port(), MqttVersion.V5);
        clients.add(c);
        c.send(connect5(ItSupport.uniqueId("will"), true, 60, w, Properties.EMPTY));
        ConnAck ack = c.read(ConnAck.class);
        assertThat(ack.reasonCode())
            .isEqualTo(w == qos2 ? ReasonCode.QOS_NOT_SUPPORTED : ReasonCode.RETAIN_NOT_SUPPORTED);
        assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
      }
      RawClient c = RawClient.connect("127.0.0.1", limited.port(), MqttVersion.V5);
      clients.add(c);
      c.send(connect5(ItSupport.uniqueId("capped"), Properties.EMPTY));
      ConnAck ack = c.read(ConnAck.class);
      c.send(Packets.subscribe(1, "c5/capped", QoS.EXACTLY_ONCE));
      assertThat(c.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.GRANTED_QOS_1);
      // Topic Alias Maximum 0: no alias is allowed.
      assertThat(ack.properties().intValue(PropertyId.TOPIC_ALIAS_MAXIMUM).orElse(0)).isZero();
      c.send(publish5("c5/capped", "x", QoS.AT_MOST_ONCE, 0, props(PropertyId.TOPIC_ALIAS, 1)));
      assertThat(c.read(Disconnect.class).reasonCode()).isEqualTo(ReasonCode.TOPIC_ALIAS_INVALID);
    } finally {
      limited.close();
    }
  }

  @Test
  void noProblemInformationOnAFailedPubAckAndNoReasonStringForASmallMaximumPacketSize()
      throws IOException {
    RawClient c = raw();
    c.send(connect5(ItSupport.uniqueId("rpi"), props(PropertyId.REQUEST_PROBLEM_INFORMATION, 0)));
    c.read(ConnAck.class);
    c.send(publish5("$SYS/c5/mine", "x", QoS.AT_LEAST_ONCE, 1, Properties.EMPTY));
    PubAck refused = c.read(PubAck.class);
    assertThat(refused.reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(refused.properties().isEmpty()).isTrue();
    c.send(publish5("$SYS/c5/mine", "x", QoS.EXACTLY_ONCE, 2, Properties.EMPTY));
    PubRec refusedRec = c.read(PubRec.class);
    assertThat(refusedRec.reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(refusedRec.properties().isEmpty()).isTrue();
    c.send(PubRel.of(77)); // an id the broker does not hold
    PubComp unknown = c.read(PubComp.class);
    assertThat(unknown.reasonCode()).isEqualTo(ReasonCode.PACKET_IDENTIFIER_NOT_FOUND);
    assertThat(unknown.properties().isEmpty()).isTrue();

    RawClient small = raw();
    small.send(connect5(ItSupport.uniqueId("small"), props(PropertyId.MAXIMUM_PACKET_SIZE, 64L)));
    small.read(ConnAck.class);
    small.send(publish5("c5/a", "x", QoS.AT_MOST_ONCE, 0, props(PropertyId.TOPIC_ALIAS, 0)));
    Disconnect d = small.read(Disconnect.class);
    assertThat(d.reasonCode()).isEqualTo(ReasonCode.TOPIC_ALIAS_INVALID);
    assertThat(d.properties().contains(PropertyId.REASON_STRING)).isFalse();
  }

  @Test
  void aFailedPubAckPubRecOrPubCompSaysWhyInAReasonStringWithinTheClientsMaximum()
      throws IOException {
    // Request Problem Information is 1 when absent: a refusal says why [MQTT-3.1.2-29]; the text
    // is the broker's own, never the client's topic.
    RawClient c = connected("why");
    c.send(publish5("$SYS/c5/why", "x", QoS.AT_LEAST_ONCE, 1, Properties.EMPTY));
    PubAck refused = c.read(PubAck.class);
    assertThat(refused.reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(refused.properties().stringValue(PropertyId.REASON_STRING))
        .hasValue("topics starting with $ are reserved for the broker");
    c.send(publish5("$SYS/c5/why", "x", QoS.EXACTLY_ONCE, 2, Properties.EMPTY));
    PubRec refusedRec = c.read(PubRec.class);
    assertThat(refusedRec.reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(refusedRec.properties().stringValue(PropertyId.REASON_STRING))
        .hasValue("topics starting with $ are reserved for the broker");
    c.send(PubRel.of(77));
    PubComp unknown = c.read(PubComp.class);
    assertThat(unknown.reasonCode()).isEqualTo(ReasonCode.PACKET_IDENTIFIER_NOT_FOUND);
    assertThat(unknown.properties().stringValue(PropertyId.REASON_STRING)).isPresent();
    // A successful acknowledgement carries none.
    c.send(publish5("c5/why/ok", "x", QoS.AT_LEAST_ONCE, 3, Properties.EMPTY));
    assertThat(c.read(PubAck.class).properties().isEmpty()).isTrue();

    // 40 bytes hold the CONNACK and a bare PUBACK (6 bytes), not one with the 50-character
    // Reason String (59 bytes): it is left out, the PUBACK still goes [MQTT-3.4.2-2].
    RawClient small = raw();
    small.send(
        connect5(ItSupport.uniqueId("why-small"), props(PropertyId.MAXIMUM_PACKET_SIZE, 40L)));
    small.read(ConnAck.class);
    small.send(publish5("$SYS/c5/why", "x", QoS.AT_LEAST_ONCE, 1, Properties.EMPTY));
    PubAck bare = small.read(PubAck.class);
    assertThat(bare.reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(bare.properties().isEmpty()).isTrue();
    small.send(publish5("$SYS/c5/why", "x", QoS.EXACTLY_ONCE, 2, Properties.EMPTY));
    PubRec bareRec = small.read(PubRec.class); // 59 bytes with its Reason String [MQTT-3.5.2-2]
    assertThat(bareRec.reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(bareRec.properties().isEmpty()).isTrue();
    small.send(PubRel.of(77));
    PubComp bareComp = small.read(PubComp.class); // 53 bytes with its Reason String [MQTT-3.7.2-2]
    assertThat(bareComp.reasonCode()).isEqualTo(ReasonCode.PACKET_IDENTIFIER_NOT_FOUND);
    assertThat(bareComp.properties().isEmpty()).isTrue();
  }

  // ---- sessions -----------------------------------------------------------------------------

  @Test
  void sessionPresentFollowsCleanStartAndTheStoredSession() throws IOException {
    String id = ItSupport.uniqueId("session");
    String topic = "c5/session/" + id;
    RawClient first = persistent(id, false);
    assertThat(first.read(ConnAck.class).sessionPresent()).as("no session yet").isFalse();
    first.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    first.read(SubAck.class);
    first.close();
    RawClient pub = connected("session-pub");
    pub.send(publish5(topic, "away", QoS.AT_LEAST_ONCE, 1, Properties.EMPTY));
    assertThat(pub.read(PubAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);

    RawClient resumed = persistent(id, false);
    assertThat(resumed.read(ConnAck.class).sessionPresent()).isTrue();
    Publish p = resumed.read(Publish.class);
    assertThat(Packets.text(p)).isEqualTo("away");
    resumed.send(PubAck.of(p.packetId()));
    resumed.close();

    RawClient clean = persistent(id, true);
    assertThat(clean.read(ConnAck.class).sessionPresent()).isFalse();
    pub.send(publish5(topic, "after", QoS.AT_LEAST_ONCE, 2, Properties.EMPTY));
    assertThat(pub.read(PubAck.class).reasonCode()).isEqualTo(ReasonCode.NO_MATCHING_SUBSCRIBERS);
    expectNothing(clean);
  }

  @Test
  void unacknowledgedDeliveriesAreResentOnResumeWithTheirIdentifiers() throws IOException {
    String id = ItSupport.uniqueId("resend");
    String topic = "c5/resend/" + id;
    RawClient sub = persistent(id, true);
    sub.read(ConnAck.class);
    sub.send(Packets.subscribe(1, topic, QoS.EXACTLY_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connected("resend-pub");
    publishAndComplete(pub, topic, "one", QoS.AT_LEAST_ONCE, 1);
    publishAndComplete(pub, topic, "two", QoS.EXACTLY_ONCE, 2);
    publishAndComplete(pub, topic, "three", QoS.EXACTLY_ONCE, 3);
    Publish one = sub.read(Publish.class);
    Publish two = sub.read(Publish.class);
    Publish three = sub.read(Publish.class);
    assertThat(List.of(one, two, three)).extracting(Publish::dup).containsOnly(false);
    assertThat(List.of(one.packetId(), two.packetId(), three.packetId()))
        .doesNotHaveDuplicates()
        .doesNotContain(0);
    sub.send(PubRec.of(two.packetId()));
    assertThat(sub.read(PubRel.class).packetId()).isEqualTo(two.packetId());
    sub.close();

    RawClient back = persistent(id, false);
    assertThat(back.read(ConnAck.class).sessionPresent()).isTrue();
    List<MqttPacket> resent = List.of(back.read(), back.read(), back.read());
    // In the order the messages were first sent [MQTT-4.6.0-1]: "one" again, "two" as the PUBREL
    // its PUBREC called for [MQTT-4.6.0-3], "three" again.
    assertThat(resent)
        .extracting(m -> m.getClass().getSimpleName())
        .containsExactly("Publish", "PubRel", "Publish");
    Publish oneAgain = (Publish) resent.get(0);
    Publish threeAgain = (Publish) resent.get(2);
    assertThat(List.of(oneAgain, threeAgain)).extracting(Publish::dup).containsOnly(true);
    assertThat(Packets.text(oneAgain)).isEqualTo("one");
    assertThat(oneAgain.packetId()).isEqualTo(one.packetId());
    assertThat(((PubRel) resent.get(1)).packetId()).isEqualTo(two.packetId());
    assertThat(Packets.text(threeAgain)).isEqualTo("three");
    assertThat(threeAgain.packetId()).isEqualTo(three.packetId());
    back.send(PubAck.of(one.packetId()));
    back.send(PubComp.of(two.packetId()));
    back.send(PubRec.of(three.packetId()));
    assertThat(back.read(PubRel.class).packetId()).isEqualTo(three.packetId());
    back.send(PubComp.of(three.packetId()));
    expectNothing(back);
  }

  // ---- acknowledgements and delivery --------------------------------------------------------

  @Test
  void eachQosIsAnsweredWithTheIdentifierAndIdentifiersAreFreedByTheirLastAck() throws IOException {
    String topic = "c5/flows/" + ItSupport.uniqueId("t");
    RawClient sub = connected("flows-sub");
    sub.send(Packets.subscribe(1, topic, QoS.EXACTLY_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connected("flows-pub");
    pub.send(publish5(topic, "zero", QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    pub.send(PingReq.INSTANCE);
    assertThat(pub.read()).as("no answer to QoS 0").isInstanceOf(PingResp.class);
    publishAndComplete(pub, topic, "once", QoS.AT_LEAST_ONCE, 7);
    // The same identifier with DUP 1 after its PUBACK is a new message.
    pub.send(
        publish5(topic, "again", QoS.AT_LEAST_ONCE, 7, Properties.EMPTY)
            .withDelivery(QoS.AT_LEAST_ONCE, false, true, 7));
    assertThat(pub.read(PubAck.class).packetId()).isEqualTo(7);
    publishAndComplete(pub, topic, "exactly", QoS.EXACTLY_ONCE, 9);
    publishAndComplete(pub, topic, "new", QoS.EXACTLY_ONCE, 9);
    pub.send(PubRel.of(300));
    PubComp unknown = pub.read(PubComp.class);
    assertThat(unknown.packetId()).isEqualTo(300);
    assertThat(unknown.reasonCode()).isEqualTo(ReasonCode.PACKET_IDENTIFIER_NOT_FOUND);

    List<String> got = new ArrayList<>();
    List<Integer> released = new ArrayList<>();
    List<Integer> received = new ArrayList<>();
    while (got.size() < 5 || released.size() < received.size()) {
      MqttPacket m = sub.read();
      if (m instanceof PubRel rel) {
        released.add(rel.packetId());
        sub.send(PubComp.of(rel.packetId()));
        continue;
      }
      Publish p = (Publish) m;
      got.add(Packets.text(p) + "@" + p.qos().value());
      assertThat(p.dup()).as("first delivery of %s", Packets.text(p)).isFalse();
      if (p.qos() == QoS.AT_LEAST_ONCE) {
        sub.send(PubAck.of(p.packetId()));
      } else if (p.qos() == QoS.EXACTLY_ONCE) {
        received.add(p.packetId());
        sub.send(PubRec.of(p.packetId()));
      }
    }
    assertThat(released).as("PUBREL with the identifier of its PUBLISH").isEqualTo(received);
    assertThat(got).containsExactly("zero@0", "once@1", "again@1", "exactly@2", "new@2");
    expectNothing(sub);
  }

  @Test
  void subAckAndUnsubAckAnswerEachFilterInOrder() throws IOException {
    String root = "c5/order/" + ItSupport.uniqueId("r");
    RawClient c = connected("order");
    c.send(
        new Subscribe(
            11,
            List.of(
                Subscription.of(root + "/a", QoS.EXACTLY_ONCE),
                Subscription.of(root + "/b", QoS.AT_MOST_ONCE),
                Subscription.of(root + "/c", QoS.AT_LEAST_ONCE)),
            Properties.EMPTY));
    SubAck subAck = c.read(SubAck.class);
    assertThat(subAck.packetId()).isEqualTo(11);
    assertThat(subAck.reasonCodes())
        .containsExactly(ReasonCode.GRANTED_QOS_2, ReasonCode.SUCCESS, ReasonCode.GRANTED_QOS_1);
    c.send(
        new Unsubscribe(12, List.of(root + "/a", root + "/never", root + "/c"), Properties.EMPTY));
    UnsubAck unsubAck = c.read(UnsubAck.class);
    assertThat(unsubAck.packetId()).isEqualTo(12);
    assertThat(unsubAck.reasonCodes())
        .containsExactly(
            ReasonCode.SUCCESS, ReasonCode.NO_SUBSCRIPTION_EXISTED, ReasonCode.SUCCESS);
    RawClient pub = connected("order-pub");
    for (String t : List.of("a", "b", "c")) {
      pub.send(publish5(root + "/" + t, t, QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    }
    assertThat(Packets.text(c.read(Publish.class))).isEqualTo("b");
    expectNothing(c);
  }

  @Test
  void resubscribingReplacesAndOverlapsDeliverAtTheHighestGrantedQos() throws IOException {
    String root = "c5/replace/" + ItSupport.uniqueId("r");
    RawClient c = connected("replace");
    c.send(Packets.subscribe(1, root + "/x", QoS.EXACTLY_ONCE));
    c.read(SubAck.class);
    c.send(Packets.subscribe(2, root + "/x", QoS.AT_LEAST_ONCE));
    c.read(SubAck.class);
    RawClient pub = connected("replace-pub");
    publishAndComplete(pub, root + "/x", "q2", QoS.EXACTLY_ONCE, 1);
    Publish p = c.read(Publish.class);
    assertThat(p.qos()).as("min(published 2, granted 1)").isEqualTo(QoS.AT_LEAST_ONCE);
    c.send(PubAck.of(p.packetId()));
    pub.send(publish5(root + "/x", "q0", QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    assertThat(c.read(Publish.class).qos()).isEqualTo(QoS.AT_MOST_ONCE);
    expectNothing(c);

    c.send(Packets.subscribe(3, root + "/+", QoS.AT_MOST_ONCE));
    c.read(SubAck.class);
    publishAndComplete(pub, root + "/x", "both", QoS.EXACTLY_ONCE, 2);
    List<QoS> copies = new ArrayList<>();
    try {
      while (true) {
        Publish copy = (Publish) c.read(QUIET);
        copies.add(copy.qos());
        if (copy.qos() == QoS.AT_LEAST_ONCE) {
          c.send(PubAck.of(copy.packetId()));
        }
      }
    } catch (SocketTimeoutException e) {
      // no more copies
    }
    assertThat(copies).contains(QoS.AT_LEAST_ONCE).hasSizeLessThanOrEqualTo(2);

    // Unsubscribing "+" leaves "x": only an exact filter is deleted.
    c.send(new Unsubscribe(4, List.of(root + "/+"), Properties.EMPTY));
    c.read(UnsubAck.class);
    pub.send(publish5(root + "/y", "y", QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    pub.send(publish5(root + "/x", "x", QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    assertThat(Packets.text(c.read(Publish.class))).isEqualTo("x");
    expectNothing(c);
  }

  @Test
  void messagesFromOnePublisherArriveInOrder() throws IOException {
    String topic = "c5/ordered/" + ItSupport.uniqueId("t");
    RawClient sub = connected("ordered-sub");
    sub.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connected("ordered-pub");
    for (int i = 1; i <= 100; i++) {
      pub.send(publish5(topic, "m" + i, QoS.AT_LEAST_ONCE, i, Properties.EMPTY));
    }
    for (int i = 1; i <= 100; i++) {
      Publish p = sub.read(Publish.class);
      assertThat(Packets.text(p)).isEqualTo("m" + i);
      sub.send(PubAck.of(p.packetId()));
    }
  }

  @Test
  void anExhaustedSendQuotaHoldsBackPublishesOnly() throws IOException {
    String topic = "c5/quota/" + ItSupport.uniqueId("t");
    RawClient sub = raw();
    sub.send(connect5(ItSupport.uniqueId("quota"), props(PropertyId.RECEIVE_MAXIMUM, 1)));
    sub.read(ConnAck.class);
    sub.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connected("quota-pub");
    publishAndComplete(pub, topic, "first", QoS.AT_LEAST_ONCE, 1);
    publishAndComplete(pub, topic, "second", QoS.AT_LEAST_ONCE, 2);
    Publish first = sub.read(Publish.class);
    sub.send(PingReq.INSTANCE);
    assertThat(sub.read()).isInstanceOf(PingResp.class);
    sub.send(Packets.subscribe(2, topic + "/more", QoS.AT_LEAST_ONCE));
    assertThat(sub.read(SubAck.class).packetId()).isEqualTo(2);
    expectNothing(sub);
    sub.send(PubAck.of(first.packetId()));
    assertThat(Packets.text(sub.read(Publish.class))).isEqualTo("second");
  }

  @Test
  void aNonRetainedPublishLeavesTheRetainedMessageAlone() throws IOException {
    String topic = "c5/keep-retained/" + ItSupport.uniqueId("t");
    RawClient pub = connected("keep-pub");
    pub.send(retained(topic, "kept"));
    pub.read(PubAck.class);
    pub.send(publish5(topic, "live", QoS.AT_LEAST_ONCE, 2, Properties.EMPTY));
    pub.read(PubAck.class);
    RawClient sub = connected("keep-sub");
    sub.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    sub.read(SubAck.class);
    Publish p = sub.read(Publish.class);
    assertThat(Packets.text(p)).isEqualTo("kept");
    assertThat(p.retained()).isTrue();
    sub.send(PubAck.of(p.packetId()));
    expectNothing(sub);
    pub.send(retained(topic, ""));
    pub.read(PubAck.class);
  }

  @Test
  void unsubscribingCompletesADeliveryInFlight() throws IOException {
    String topic = "c5/unsub-inflight/" + ItSupport.uniqueId("t");
    RawClient sub = connected("unsub-inflight");
    sub.send(Packets.subscribe(1, topic, QoS.EXACTLY_ONCE));
    sub.read(SubAck.class);
    publishAndComplete(connected("unsub-pub"), topic, "in flight", QoS.EXACTLY_ONCE, 1);
    Publish p = sub.read(Publish.class);
    sub.send(new Unsubscribe(2, List.of(topic), Properties.EMPTY));
    assertThat(sub.read(UnsubAck.class).reasonCodes()).containsExactly(ReasonCode.SUCCESS);
    sub.send(PubRec.of(p.packetId()));
    PubRel rel = sub.read(PubRel.class);
    assertThat(rel.packetId()).isEqualTo(p.packetId());
    assertThat(rel.reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    sub.send(PubComp.of(p.packetId()));
    expectNothing(sub);
  }

  @Test
  void anInterruptedSharedQos2DeliveryIsCompletedToTheSameMember() throws IOException {
    String topic = "c5/shared-qos2/" + ItSupport.uniqueId("t");
    String id = ItSupport.uniqueId("member");
    RawClient member = persistent(id, true);
    member.read(ConnAck.class);
    member.send(Packets.subscribe(1, "$share/g/" + topic, QoS.EXACTLY_ONCE));
    member.read(SubAck.class);
    publishAndComplete(connected("shared-pub"), topic, "exactly once", QoS.EXACTLY_ONCE, 1);
    Publish p = member.read(Publish.class);
    RawClient other = connected("shared-other");
    other.send(Packets.subscribe(1, "$share/g/" + topic, QoS.EXACTLY_ONCE));
    other.read(SubAck.class);
    member.close();
    RawClient back = persistent(id, false);
    assertThat(back.read(ConnAck.class).sessionPresent()).isTrue();
    Publish again = back.read(Publish.class);
    assertThat(again.packetId()).isEqualTo(p.packetId());
    assertThat(again.dup()).isTrue();
    expectNothing(other);
  }

  @Test
  void aSharedQos2MessageOfAnEndedSessionGoesToNoOtherMember() throws Exception {
    String topic = "c5/shared-ended/" + ItSupport.uniqueId("t");
    RawClient member = raw();
    member.send(
        connect5(
            ItSupport.uniqueId("ending"),
            true,
            60,
            null,
            props(PropertyId.SESSION_EXPIRY_INTERVAL, 1L)));
    member.read(ConnAck.class);
    member.send(Packets.subscribe(1, "$share/g/" + topic, QoS.EXACTLY_ONCE));
    member.read(SubAck.class);
    RawClient other = connected("ended-other");
    other.send(Packets.subscribe(1, "$share/g/" + topic, QoS.EXACTLY_ONCE));
    other.read(SubAck.class);
    RawClient pub = connected("ended-pub");
    RawClient receiver = null;
    for (int i = 1; receiver == null; i++) {
      publishAndComplete(pub, topic, "m" + i, QoS.EXACTLY_ONCE, i);
      try {
        member.read(Duration.ofMillis(500));
        receiver = member;
      } catch (SocketTimeoutException e) {
        Publish toOther = other.read(Publish.class);
        other.send(PubRec.of(toOther.packetId()));
        other.read(PubRel.class);
        other.send(PubComp.of(toOther.packetId()));
      }
    }
    member.close();
    long closed = System.nanoTime();
    await()
        .pollInterval(Duration.ofMillis(100))
        .until(() -> System.nanoTime() - closed > 2_000_000_000L);
    expectNothing(other);
  }

  // ---- wills and expiry ---------------------------------------------------------------------

  @Test
  void willsKeepTheirRetainFlagAndUserPropertyOrderAndGoOutOnce() throws IOException {
    String topic = "c5/will/" + ItSupport.uniqueId("w");
    RawClient watcher = connected("will-watch");
    watcher.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    watcher.read(SubAck.class);
    Properties order =
        Properties.builder()
            .userProperty("k1", "a")
            .userProperty("k2", "b")
            .userProperty("k1", "c")
            .build();
    for (boolean retain : List.of(true, false)) {
      Will will =
          new Will(
              topic, BinaryData.of(ItSupport.utf8("r" + retain)), QoS.AT_LEAST_ONCE, retain, order);
      RawClient c = raw();
      c.send(connect5(ItSupport.uniqueId("will"), true, 60, will, Properties.EMPTY));
      c.read(ConnAck.class);
      c.close();
      Publish p = watcher.read(Publish.class);
      assertThat(Packets.text(p)).isEqualTo("r" + retain);
      watcher.send(PubAck.of(p.packetId()));
      assertThat(p.properties().userProperties())
          .extracting(u -> u.name() + "=" + u.value())
          .containsExactly("k1=a", "k2=b", "k1=c");
      RawClient late = connected("will-late");
      late.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
      late.read(SubAck.class);
      if (retain) {
        Publish kept = late.read(Publish.class);
        assertThat(kept.retained()).isTrue();
        late.send(PubAck.of(kept.packetId()));
        RawClient clear = connected("will-clear");
        clear.send(retained(topic, ""));
        clear.read(PubAck.class);
        watcher.send(PubAck.of(watcher.read(Publish.class).packetId()));
      } else {
        expectNothing(late);
      }
    }
    expectNothing(watcher);
  }

  @Test
  void aNormalDisconnectDiscardsTheWill() throws IOException {
    String topic = "c5/will-normal/" + ItSupport.uniqueId("w");
    RawClient watcher = connected("normal-watch");
    watcher.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    watcher.read(SubAck.class);
    RawClient c = raw();
    Will will = Packets.will(topic, "unwanted", QoS.AT_LEAST_ONCE, false);
    c.send(connect5(ItSupport.uniqueId("normal"), true, 60, will, Properties.EMPTY));
    c.read(ConnAck.class);
    c.send(Disconnect.NORMAL);
    assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    assertThatThrownBy(() -> watcher.read(Duration.ofMillis(500)))
        .isInstanceOf(SocketTimeoutException.class);
  }

  @Test
  void anInboundQos2FlowIsCompletedAfterTheMessageExpired() throws Exception {
    RawClient c = connected("expiring-in");
    String topic = "c5/expiring-in/" + ItSupport.uniqueId("t");
    c.send(
        publish5(topic, "x", QoS.EXACTLY_ONCE, 1, props(PropertyId.MESSAGE_EXPIRY_INTERVAL, 1L)));
    c.read(PubRec.class);
    long sent = System.nanoTime();
    await()
        .pollInterval(Duration.ofMillis(100))
        .until(() -> System.nanoTime() - sent > 1_500_000_000L);
    c.send(PubRel.of(1));
    PubComp done = c.read(PubComp.class);
    assertThat(done.packetId()).isEqualTo(1);
    assertThat(done.reasonCode()).isEqualTo(ReasonCode.SUCCESS);
  }

  @Test
  void anOutboundMessageInFlightIsResentAfterItsExpiry() throws Exception {
    String id = ItSupport.uniqueId("expiring-out");
    String topic = "c5/expiring-out/" + id;
    RawClient sub = persistent(id, true);
    sub.read(ConnAck.class);
    sub.send(Packets.subscribe(1, topic, QoS.EXACTLY_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connected("expiring-pub");
    pub.send(
        publish5(
            topic, "late", QoS.EXACTLY_ONCE, 1, props(PropertyId.MESSAGE_EXPIRY_INTERVAL, 1L)));
    pub.read(PubRec.class);
    pub.send(PubRel.of(1));
    pub.read(PubComp.class);
    Publish first = sub.read(Publish.class);
    sub.close();
    long sent = System.nanoTime();
    await()
        .pollInterval(Duration.ofMillis(100))
        .until(() -> System.nanoTime() - sent > 1_500_000_000L);
    RawClient back = persistent(id, false);
    assertThat(back.read(ConnAck.class).sessionPresent()).isTrue();
    Publish again = back.read(Publish.class);
    assertThat(again.packetId()).isEqualTo(first.packetId());
    assertThat(again.dup()).isTrue();
    assertThat(Packets.text(again)).isEqualTo("late");
  }

  // ---- helpers ------------------------------------------------------------------------------

  private RawClient raw() throws IOException {
    RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5);
    clients.add(c);
    return c;
  }

  private RawClient connected(String prefix) throws IOException {
    RawClient c = raw();
    c.send(connect5(ItSupport.uniqueId(prefix), Properties.EMPTY));
    assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    return c;
  }

  /** A CONNECT with session expiry 60 s sent; the caller reads the CONNACK. */
  private RawClient persistent(String id, boolean cleanStart) throws IOException {
    RawClient c = raw();
    c.send(connect5(id, cleanStart, 60, null, props(PropertyId.SESSION_EXPIRY_INTERVAL, 60L)));
    return c;
  }

  private static void publishAndComplete(RawClient pub, String topic, String text, QoS qos, int id)
      throws IOException {
    pub.send(publish5(topic, text, qos, id, Properties.EMPTY));
    if (qos == QoS.AT_LEAST_ONCE) {
      assertThat(pub.read(PubAck.class).packetId()).isEqualTo(id);
    } else if (qos == QoS.EXACTLY_ONCE) {
      assertThat(pub.read(PubRec.class).packetId()).isEqualTo(id);
      pub.send(PubRel.of(id));
      assertThat(pub.read(PubComp.class).packetId()).isEqualTo(id);
    }
  }

  private static void expectNothing(RawClient c) {
    assertThatThrownBy(() -> c.read(QUIET)).isInstanceOf(SocketTimeoutException.class);
  }

  private void assertAnotherClientWorks() throws IOException {
    RawClient other = connected("other");
    String topic = "c5/other/" + ItSupport.uniqueId("t");
    other.send(Packets.subscribe(1, topic, QoS.AT_MOST_ONCE));
    other.read(SubAck.class);
    other.send(publish5(topic, "still here", QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    assertThat(Packets.text(other.read(Publish.class))).isEqualTo("still here");
  }

  private static byte[] retained(String topic, String payload) {
    return encode(
        publish5(topic, payload, QoS.AT_LEAST_ONCE, 1, Properties.EMPTY)
            .withDelivery(QoS.AT_LEAST_ONCE, true, false, 1));
  }

  private static byte[] encode(MqttPacket p) {
    ByteBuf buf = PacketEncoder.encode(p, MqttVersion.V5, ByteBufAllocator.DEFAULT);
    try {
      byte[] out = new byte[buf.readableBytes()];
      buf.readBytes(out);
      return out;
    } finally {
      buf.release();
    }
  }

  /** A breach: its name, its bytes (hex or built), the DISCONNECT reason code it must get. */
  private static Arguments breach(String name, Object bytes, int reason) {
    return Arguments.of(name, bytes instanceof byte[] b ? b : hex((String) bytes), reason);
  }

  /** A 5.0 CONNECT, keep-alive 60, with the given connect flags and what follows them. */
  private static byte[] connectBytes(int flags, Object... rest) {
    Object[] parts = new Object[rest.length + 2];
    parts[0] = str("MQTT");
    parts[1] = String.format("05 %02X 00 3C", flags);
    System.arraycopy(rest, 0, parts, 2, rest.length);
    return frame(0x10, parts);
  }

  /** A packet: first byte, remaining length, then the parts (hex strings or byte arrays). */
  private static byte[] frame(int first, Object... parts) {
    byte[] body = concat(parts);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(first);
    int n = body.length;
    do {
      int digit = n % 128;
      n /= 128;
      out.write(n > 0 ? digit | 0x80 : digit);
    } while (n > 0);
    out.writeBytes(body);
    return out.toByteArray();
  }

  private static byte[] concat(Object... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object p : parts) {
      out.writeBytes(p instanceof byte[] b ? b : hex((String) p));
    }
    return out.toByteArray();
  }

  private static byte[] str(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return concat(new byte[] {(byte) (b.length >> 8), (byte) b.length}, b);
  }

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replace(" ", ""));
  }
}
