package io.starling.it;

import static io.starling.testkit.Packets.connect5;
import static io.starling.testkit.Packets.props;
import static io.starling.testkit.Packets.publish5;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.config.Protocol;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.RetainHandling;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
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
 * MQTT 5.0 protocol errors on raw sockets: each breach gets the DISCONNECT (or CONNACK) reason code
 * the specification names, the connection is closed, and another client is still served.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Mqtt5ProtocolIT {
  private static final int ALIAS_MAX = 4;
  private static final int RECEIVE_MAX = 3;
  private static final int MAX_PACKET = 2048;

  private static Broker broker;
  private final List<RawClient> clients = new ArrayList<>();
  private final List<Broker> extraBrokers = new ArrayList<>();

  @BeforeAll
  static void startBroker() {
    Protocol p = new Protocol(2, true, ALIAS_MAX, RECEIVE_MAX, 3600, 65535, "", "", false);
    Limits limits = Limits.builder().maxPacketSizeBytes(MAX_PACKET).build();
    broker =
        TestBroker.start(
            BrokerConfig.defaults()
                .withListener("127.0.0.1", 0)
                .withProtocol(p)
                .withLimits(limits));
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @AfterEach
  void closeClients() throws IOException {
    for (RawClient c : clients) {
      c.close();
    }
    extraBrokers.forEach(Broker::close);
  }

  @Test
  void topicAliasZeroIsRefusedWith0x94() throws IOException {
    RawClient c = connected(broker, "alias-zero");
    // [MQTT-3.3.2-8]: a Topic Alias of 0 is a protocol error, reason 0x94.
    c.send(publish5("p5/alias", "x", QoS.AT_MOST_ONCE, 0, props(PropertyId.TOPIC_ALIAS, 0)));
    expectDisconnect(c, ReasonCode.TOPIC_ALIAS_INVALID);
    assertAnotherClientWorks(broker);
  }

  @Test
  void topicAliasAboveTheMaximumIsRefusedWith0x94() throws IOException {
    RawClient c = connected(broker, "alias-high");
    assertThat(connAck.properties().intValue(PropertyId.TOPIC_ALIAS_MAXIMUM)).hasValue(ALIAS_MAX);
    // [MQTT-3.2.2-17] [MQTT-3.3.2-9]: an alias above the broker's Topic Alias Maximum.
    c.send(
        publish5(
            "p5/alias", "x", QoS.AT_MOST_ONCE, 0, props(PropertyId.TOPIC_ALIAS, ALIAS_MAX + 1)));
    expectDisconnect(c, ReasonCode.TOPIC_ALIAS_INVALID);
    assertAnotherClientWorks(broker);
  }

  @Test
  void emptyTopicWithAnUnknownAliasIsAProtocolError() throws IOException {
    RawClient c = connected(broker, "alias-unknown");
    // [MQTT-3.3.2-7]: an empty topic with an alias never set on this connection -> 0x82.
    c.send(publish5("", "x", QoS.AT_LEAST_ONCE, 1, props(PropertyId.TOPIC_ALIAS, 2)));
    expectDisconnect(c, ReasonCode.PROTOCOL_ERROR);
    assertAnotherClientWorks(broker);
  }

  @Test
  void aliasSetThenUsedRoutesToTheAliasedTopic() throws IOException {
    RawClient sub = connected(broker, "alias-sub");
    sub.send(Packets.subscribe(1, "p5/aliased", QoS.AT_LEAST_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connected(broker, "alias-pub");
    pub.send(publish5("p5/aliased", "one", QoS.AT_LEAST_ONCE, 1, props(PropertyId.TOPIC_ALIAS, 1)));
    assertThat(pub.read(PubAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    pub.send(publish5("", "two", QoS.AT_LEAST_ONCE, 2, props(PropertyId.TOPIC_ALIAS, 1)));
    assertThat(pub.read(PubAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    // [MQTT-3.3.2-12] [MQTT-3.3.2-3]: the alias stands for the topic it was set with.
    Publish first = sub.read(Publish.class);
    Publish second = sub.read(Publish.class);
    assertThat(first.topic()).isEqualTo("p5/aliased");
    assertThat(second.topic()).isEqualTo("p5/aliased");
    assertThat(Packets.text(second)).isEqualTo("two");
    // The subscriber allowed no aliases, so none is sent to it [MQTT-3.1.2-27].
    assertThat(second.properties().contains(PropertyId.TOPIC_ALIAS)).isFalse();
  }

  @Test
  void outboundAliasesStayWithinTheClientsMaximumAndResolve() throws IOException {
    String root = "p5/out-alias/" + ItSupport.uniqueId("r");
    RawClient sub = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5);
    clients.add(sub);
    sub.send(connect5(ItSupport.uniqueId("alias-out"), props(PropertyId.TOPIC_ALIAS_MAXIMUM, 2)));
    sub.read(ConnAck.class);
    sub.send(Packets.subscribe(1, root + "/#", QoS.AT_MOST_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connected(broker, "alias-out-pub");
    List<String> topics = List.of(root + "/a", root + "/b", root + "/c");
    for (int round = 0; round < 2; round++) {
      for (String t : topics) {
        pub.send(publish5(t, t, QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
      }
    }
    java.util.Map<Integer, String> aliases = new java.util.HashMap<>();
    for (int i = 0; i < 6; i++) {
      Publish p = sub.read(Publish.class);
      String expected = Packets.text(p); // the payload is the topic it was published to
      var alias = p.properties().intValue(PropertyId.TOPIC_ALIAS);
      if (alias.isPresent()) {
        // [MQTT-3.1.2-26] [MQTT-3.3.2-11]: within 1..the client's Topic Alias Maximum.
        assertThat(alias.getAsInt()).isBetween(1, 2);
        if (p.topic().isEmpty()) {
          assertThat(aliases.get(alias.getAsInt())).isEqualTo(expected);
        } else {
          assertThat(p.topic()).isEqualTo(expected);
          aliases.put(alias.getAsInt(), p.topic());
        }
      } else {
        assertThat(p.topic()).isEqualTo(expected);
      }
    }
    assertThat(aliases).as("the broker used aliases").isNotEmpty();
  }

  @Test
  void noOutboundAliasesWithoutATopicAliasMaximum() throws IOException {
    String topic = "p5/no-alias/" + ItSupport.uniqueId("t");
    RawClient sub = connected(broker, "no-alias");
    sub.send(Packets.subscribe(1, topic, QoS.AT_MOST_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connected(broker, "no-alias-pub");
    pub.send(publish5(topic, "1", QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    pub.send(publish5(topic, "2", QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    // [MQTT-3.1.2-27]
    for (int i = 0; i < 2; i++) {
      Publish p = sub.read(Publish.class);
      assertThat(p.topic()).isEqualTo(topic);
      assertThat(p.properties().contains(PropertyId.TOPIC_ALIAS)).isFalse();
    }
  }

  @Test
  void moreUnacknowledgedQos2ThanTheReceiveMaximumIs0x93() throws IOException {
    RawClient c = connected(broker, "recv-max");
    assertThat(connAck.properties().intValue(PropertyId.RECEIVE_MAXIMUM)).hasValue(RECEIVE_MAX);
    for (int id = 1; id <= RECEIVE_MAX; id++) {
      c.send(publish5("p5/recv", "m" + id, QoS.EXACTLY_ONCE, id, Properties.EMPTY));
      assertThat(c.read(PubRec.class).packetId()).isEqualTo(id);
    }
    // [MQTT-3.3.4-7] [MQTT-3.3.4-8]: one more before any PUBREL -> DISCONNECT 0x93.
    c.send(publish5("p5/recv", "over", QoS.EXACTLY_ONCE, 99, Properties.EMPTY));
    expectDisconnect(c, ReasonCode.RECEIVE_MAXIMUM_EXCEEDED);
    assertAnotherClientWorks(broker);
  }

  @Test
  void aRefusedQos2PublishFreesItsPacketIdentifierAndQuota() throws IOException {
    String topic = "p5/refused-qos2/" + ItSupport.uniqueId("t");
    RawClient sub = connected(broker, "refused-sub");
    sub.send(Packets.subscribe(1, topic, QoS.EXACTLY_ONCE));
    sub.read(SubAck.class);
    RawClient c = connected(broker, "refused-qos2");
    // More refused QoS 2 messages than the Receive Maximum, none answered with PUBREL: a PUBREC
    // of 0x80 or above ends each flow, so none is "unacknowledged" [MQTT-4.4.0-2].
    for (int id = 1; id <= RECEIVE_MAX + 1; id++) {
      c.send(publish5("$SYS/p5/not-yours", "x", QoS.EXACTLY_ONCE, id, Properties.EMPTY));
      PubRec rec = c.read(PubRec.class);
      assertThat(rec.packetId()).isEqualTo(id);
      assertThat(rec.reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    }
    // [MQTT-4.3.3-9]: the same packet identifier again is a new message, routed as such.
    c.send(publish5(topic, "new message", QoS.EXACTLY_ONCE, 1, Properties.EMPTY));
    PubRec rec = c.read(PubRec.class);
    assertThat(rec.packetId()).isEqualTo(1);
    assertThat(rec.reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    assertThat(Packets.text(sub.read(Publish.class))).isEqualTo("new message");
  }

  @Test
  void topicAliasesDoNotSurviveTheConnection() throws IOException {
    String id = ItSupport.uniqueId("alias-life");
    String out = "p5/alias-out/" + id;
    Properties resumable =
        Properties.builder()
            .add(PropertyId.SESSION_EXPIRY_INTERVAL, 60L)
            .add(PropertyId.TOPIC_ALIAS_MAXIMUM, 5)
            .build();
    RawClient first = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5);
    clients.add(first);
    first.send(connect5(id, false, 60, null, resumable));
    first.read(ConnAck.class);
    first.send(Packets.subscribe(9, out, QoS.AT_MOST_ONCE));
    first.read(SubAck.class);
    first.send(
        publish5("p5/alias-life", "x", QoS.AT_LEAST_ONCE, 1, props(PropertyId.TOPIC_ALIAS, 1)));
    first.read(PubAck.class);
    // Outbound too: the broker sets up an alias for the subscribed topic, then uses it alone.
    RawClient pub = connected(broker, "alias-out-pub");
    pub.send(publish5(out, "a", QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    assertThat(first.read(Publish.class).topic()).isEqualTo(out);
    pub.send(publish5(out, "b", QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    assertThat(first.read(Publish.class).topic()).as("sent by alias").isEmpty();
    first.send(Disconnect.NORMAL);

    RawClient second = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5);
    clients.add(second);
    second.send(connect5(id, false, 60, null, resumable));
    assertThat(second.read(ConnAck.class).sessionPresent()).as("the session resumed").isTrue();
    // [MQTT-3.3.2-7]: aliases are the connection's, not the session's, in both directions. The
    // broker starts afresh: the first message names its topic again.
    pub.send(publish5(out, "c", QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    Publish c = second.read(Publish.class);
    assertThat(c.topic()).isEqualTo(out);
    assertThat(Packets.text(c)).isEqualTo("c");
    // And the client's alias 1 is unknown on the new connection, even for the same session.
    second.send(publish5("", "y", QoS.AT_LEAST_ONCE, 2, props(PropertyId.TOPIC_ALIAS, 1)));
    expectDisconnect(second, ReasonCode.PROTOCOL_ERROR);
    assertAnotherClientWorks(broker);
  }

  @Test
  void aPublishWithASubscriptionIdentifierIsAProtocolError() throws IOException {
    RawClient c = connected(broker, "pub-subid");
    // [MQTT-3.3.4-6]: a PUBLISH from a client must not carry a Subscription Identifier.
    c.send(
        publish5(
            "p5/subid", "x", QoS.AT_LEAST_ONCE, 1, props(PropertyId.SUBSCRIPTION_IDENTIFIER, 7)));
    expectDisconnect(c, ReasonCode.PROTOCOL_ERROR);
    assertAnotherClientWorks(broker);
  }

  @Test
  void sessionExpiryChangedFromZeroOnDisconnectIsAProtocolErrorAndTheWillIsPublished()
      throws IOException {
    RawClient watcher = connected(broker, "will-watch");
    watcher.send(Packets.subscribe(1, "p5/will/expiry0", QoS.AT_LEAST_ONCE));
    watcher.read(SubAck.class);

    RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5);
    clients.add(c);
    c.send(
        connect5(
            "expiry-zero",
            true,
            60,
            Packets.will("p5/will/expiry0", "gone", QoS.AT_LEAST_ONCE, false),
            Properties.EMPTY));
    assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    // Section 3.14.2.2.2 (no id): expiry 0 at CONNECT, non-zero on DISCONNECT.
    c.send(new Disconnect(ReasonCode.SUCCESS, props(PropertyId.SESSION_EXPIRY_INTERVAL, 60L)));
    expectDisconnect(c, ReasonCode.PROTOCOL_ERROR);
    // The DISCONNECT was not a normal one, so the will goes out [MQTT-3.1.2-8].
    Publish will = watcher.read(Publish.class);
    assertThat(will.topic()).isEqualTo("p5/will/expiry0");
    assertThat(Packets.text(will)).isEqualTo("gone");
    assertAnotherClientWorks(broker);
  }

  @Test
  void authWithoutAnAuthenticationMethodIsAProtocolError() throws IOException {
    RawClient c = connected(broker, "auth-none");
    // [MQTT-4.12.0-7] [MQTT-3.15.2-1]: AUTH when CONNECT had no Authentication Method.
    c.send(
        new Auth(
            ReasonCode.CONTINUE_AUTHENTICATION,
            props(PropertyId.AUTHENTICATION_METHOD, "SCRAM-SHA-256")));
    expectDisconnect(c, ReasonCode.PROTOCOL_ERROR);
    assertAnotherClientWorks(broker);
  }

  @Test
  void aPacketAboveTheMaximumPacketSizeIs0x95() throws IOException {
    RawClient c = connected(broker, "too-large");
    assertThat(connAck.properties().longValue(PropertyId.MAXIMUM_PACKET_SIZE)).hasValue(MAX_PACKET);
    // [MQTT-3.2.2-15] [MQTT-4.13.1-1]: a packet larger than the CONNACK's Maximum Packet Size.
    c.send(
        publish5("p5/large", "x".repeat(MAX_PACKET + 10), QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    expectDisconnect(c, ReasonCode.PACKET_TOO_LARGE);
    assertAnotherClientWorks(broker);
  }

  @Test
  void qosAboveTheConfiguredMaximumIs0x9B() throws IOException {
    Broker b = extra(new Protocol(1, true, 10, 1024, 3600, 65535, "", "", false));
    RawClient c = connected(b, "qos-max");
    // [MQTT-3.2.2-9]: CONNACK says the Maximum QoS.
    assertThat(connAck.properties().intValue(PropertyId.MAXIMUM_QOS)).hasValue(1);
    // [MQTT-3.2.2-11]: a PUBLISH above it -> DISCONNECT 0x9B.
    c.send(publish5("p5/qos", "x", QoS.EXACTLY_ONCE, 1, Properties.EMPTY));
    expectDisconnect(c, ReasonCode.QOS_NOT_SUPPORTED);
    assertAnotherClientWorks(b);
  }

  @Test
  void retainWhenRetainIsNotAvailableIs0x9A() throws IOException {
    Broker b = extra(new Protocol(2, false, 10, 1024, 3600, 65535, "", "", false));
    RawClient c = connected(b, "no-retain");
    // [MQTT-3.2.2-13]: CONNACK says Retain Available 0.
    assertThat(connAck.properties().intValue(PropertyId.RETAIN_AVAILABLE)).hasValue(0);
    Publish retained =
        publish5("p5/retain", "x", QoS.AT_LEAST_ONCE, 1, Properties.EMPTY)
            .withDelivery(QoS.AT_LEAST_ONCE, true, false, 1);
    // [MQTT-3.2.2-14]: a retained PUBLISH then -> DISCONNECT 0x9A.
    c.send(retained);
    expectDisconnect(c, ReasonCode.RETAIN_NOT_SUPPORTED);
    assertAnotherClientWorks(b);
  }

  @Test
  void aWillAboveTheMaximumQosOrRetainedWithoutRetainIsRefusedInConnAck() throws IOException {
    Broker b = extra(new Protocol(1, false, 10, 1024, 3600, 65535, "", "", false));
    RawClient qos = RawClient.connect("127.0.0.1", b.port(), MqttVersion.V5);
    clients.add(qos);
    qos.send(
        connect5(
            "will-qos2",
            true,
            60,
            Packets.will("p5/w", "x", QoS.EXACTLY_ONCE, false),
            Properties.EMPTY));
    // [MQTT-3.2.2-12]
    assertThat(qos.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.QOS_NOT_SUPPORTED);
    assertThat(qos.isClosedWithin(Duration.ofSeconds(5))).isTrue();

    RawClient retain = RawClient.connect("127.0.0.1", b.port(), MqttVersion.V5);
    clients.add(retain);
    retain.send(
        connect5(
            "will-retain",
            true,
            60,
            Packets.will("p5/w", "x", QoS.AT_LEAST_ONCE, true),
            Properties.EMPTY));
    // [MQTT-3.2.2-13]
    assertThat(retain.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.RETAIN_NOT_SUPPORTED);
    assertThat(retain.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    assertAnotherClientWorks(b);
  }

  @Test
  void subscribeAboveTheMaximumQosIsGrantedTheMaximum() throws IOException {
    Broker b = extra(new Protocol(1, true, 10, 1024, 3600, 65535, "", "", false));
    RawClient c = connected(b, "sub-qos2");
    c.send(Packets.subscribe(1, "p5/maxqos", QoS.EXACTLY_ONCE));
    // Section 3.2.2.3.4: the server grants at most its Maximum QoS.
    assertThat(c.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.GRANTED_QOS_1);
  }

  @Test
  void anUnknownAuthenticationMethodIsRefusedWithConnAck0x8C() throws IOException {
    RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5);
    clients.add(c);
    c.send(connect5("auth-unknown", props(PropertyId.AUTHENTICATION_METHOD, "NO-SUCH-METHOD")));
    // [MQTT-4.12.0-1]: an authentication method the server does not support -> CONNACK 0x8C.
    ConnAck ack = c.read(ConnAck.class);
    assertThat(ack.reasonCode()).isEqualTo(ReasonCode.BAD_AUTHENTICATION_METHOD);
    assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    assertAnotherClientWorks(broker);
  }

  @Test
  void keepAliveTimeoutIs0x8D() throws IOException {
    RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5);
    clients.add(c);
    c.send(connect5("keep-alive", true, 1, null, Properties.EMPTY));
    assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    // [MQTT-3.1.2-22]: nothing within 1.5 times the keep-alive -> DISCONNECT 0x8D, close.
    MqttPacket p = c.read(Duration.ofSeconds(5));
    assertThat(p).isInstanceOf(Disconnect.class);
    assertThat(((Disconnect) p).reasonCode()).isEqualTo(ReasonCode.KEEP_ALIVE_TIMEOUT);
    assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    assertAnotherClientWorks(broker);
  }

  static Stream<Arguments> badConnectProperties() {
    // 3.1.2.11: a value the property may not have, or a property given twice, is a Protocol
    // Error; 2.2.2.2: a property that does not belong to the packet type makes it Malformed.
    return Stream.of(
        Arguments.of("Receive Maximum 0", props(PropertyId.RECEIVE_MAXIMUM, 0), 0x82),
        Arguments.of("Maximum Packet Size 0", props(PropertyId.MAXIMUM_PACKET_SIZE, 0L), 0x82),
        Arguments.of(
            "Request Problem Information 2",
            props(PropertyId.REQUEST_PROBLEM_INFORMATION, 2),
            0x82),
        Arguments.of(
            "Request Response Information 2",
            props(PropertyId.REQUEST_RESPONSE_INFORMATION, 2),
            0x82),
        Arguments.of(
            "Session Expiry Interval twice",
            Properties.builder()
                .add(PropertyId.SESSION_EXPIRY_INTERVAL, 10L)
                .add(PropertyId.SESSION_EXPIRY_INTERVAL, 20L)
                .build(),
            0x82),
        Arguments.of("a PUBLISH-only property", props(PropertyId.TOPIC_ALIAS, 1), 0x81));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badConnectProperties")
  void aConnectWithBadPropertiesIsRefused(String what, Properties bad, int code)
      throws IOException {
    RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5);
    clients.add(c);
    c.send(connect5(ItSupport.uniqueId("bad-props"), bad));
    // The CONNACK with the reason is optional in the spec [MQTT-4.13.1-1]; Starling sends it, so
    // the test holds it to the code.
    MqttPacket p = c.read(Duration.ofSeconds(5));
    assertThat(p).as(what).isInstanceOf(ConnAck.class);
    assertThat(((ConnAck) p).reasonCode().value()).as(what).isEqualTo(code);
    assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    assertAnotherClientWorks(broker);
  }

  @Test
  void subscriptionIdentifierZeroIsAProtocolError() throws IOException {
    RawClient c = connected(broker, "subid-zero");
    c.send(
        new Subscribe(
            1,
            List.of(Subscription.of("p5/subid0", QoS.AT_MOST_ONCE)),
            props(PropertyId.SUBSCRIPTION_IDENTIFIER, 0)));
    // Section 3.8.2.1.2: a Subscription Identifier of 0 is a Protocol Error.
    expectDisconnect(c, ReasonCode.PROTOCOL_ERROR, ReasonCode.MALFORMED_PACKET);
    assertAnotherClientWorks(broker);
  }

  @Test
  void noLocalOnASharedSubscriptionIsAProtocolError() throws IOException {
    RawClient c = connected(broker, "shared-nolocal");
    c.send(
        new Subscribe(
            1,
            List.of(
                new Subscription(
                    "$share/g/p5/nl",
                    QoS.AT_MOST_ONCE,
                    true,
                    false,
                    RetainHandling.SEND_ON_SUBSCRIBE)),
            Properties.EMPTY));
    // [MQTT-3.8.3-4]
    expectDisconnect(c, ReasonCode.PROTOCOL_ERROR);
    assertAnotherClientWorks(broker);
  }

  @Test
  void theServerKeepAliveIsTheOneEnforced() throws IOException {
    Broker b = extra(new Protocol(2, true, 10, 1024, 3600, 1, "", "", false));
    RawClient c = RawClient.connect("127.0.0.1", b.port(), MqttVersion.V5);
    clients.add(c);
    c.send(connect5("server-ka", true, 60, null, Properties.EMPTY));
    ConnAck ack = c.read(ConnAck.class);
    assertThat(ack.properties().intValue(PropertyId.SERVER_KEEP_ALIVE)).hasValue(1);
    // Section 3.2.2.3.14: the client must use the server's value, so 1.5 s of silence ends it.
    MqttPacket p = c.read(Duration.ofSeconds(5));
    assertThat(p).isInstanceOf(Disconnect.class);
    assertThat(((Disconnect) p).reasonCode()).isEqualTo(ReasonCode.KEEP_ALIVE_TIMEOUT);
    assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    assertAnotherClientWorks(b);
  }

  // ---- helpers ------------------------------------------------------------------------------

  private ConnAck connAck;

  /** A raw 5.0 client that has connected (clean start) to {@code b}; its CONNACK is kept. */
  private RawClient connected(Broker b, String id) throws IOException {
    RawClient c = RawClient.connect("127.0.0.1", b.port(), MqttVersion.V5);
    clients.add(c);
    c.send(connect5(ItSupport.uniqueId(id), Properties.EMPTY));
    connAck = c.read(ConnAck.class);
    assertThat(connAck.reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    return c;
  }

  private Broker extra(Protocol p) {
    Broker b = TestBroker.start(BrokerConfig.defaults().withProtocol(p));
    extraBrokers.add(b);
    return b;
  }

  /**
   * Reads until a DISCONNECT comes (acknowledgements of earlier packets may come first), checks its
   * reason code [MQTT-3.14.2-1] and that the broker then closes the connection [MQTT-4.13.1-1].
   */
  private static void expectDisconnect(RawClient c, ReasonCode... expected) throws IOException {
    MqttPacket p;
    do {
      p = c.read(Duration.ofSeconds(5));
    } while (!(p instanceof Disconnect));
    assertThat(((Disconnect) p).reasonCode()).isIn((Object[]) expected);
    assertThat(c.isClosedWithin(Duration.ofSeconds(5))).as("closed after DISCONNECT").isTrue();
  }

  /** A fresh 5.0 client can still subscribe, publish and receive. */
  private void assertAnotherClientWorks(Broker b) throws IOException {
    RawClient other = connected(b, "other");
    String topic = "p5/other/" + ItSupport.uniqueId("t");
    other.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    assertThat(other.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.GRANTED_QOS_1);
    other.send(publish5(topic, "still here", QoS.AT_LEAST_ONCE, 2, Properties.EMPTY));
    List<MqttPacket> got = List.of(other.read(), other.read());
    Publish p = (Publish) got.stream().filter(Publish.class::isInstance).findFirst().orElseThrow();
    assertThat(Packets.text(p)).isEqualTo("still here");
    assertThat(got).anyMatch(PubAck.class::isInstance);
  }
}
