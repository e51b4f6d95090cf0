package io.starling.it;

import static io.starling.testkit.Packets.connect5;
import static io.starling.testkit.Packets.props;
import static io.starling.testkit.Packets.publish5;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.Protocol;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
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
import io.starling.codec.packet.Will;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * MQTT 5.0 delivery rules seen on raw sockets, where every property and acknowledgement of the
 * broker's packets is visible: expiry of retained messages, will properties, shared subscription
 * corner cases, acknowledgements with error codes, the CONNACK's session expiry.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Mqtt5DeliveryIT {
  private static final long MAX_EXPIRY = 100;

  private static Broker broker;
  private final List<RawClient> clients = new ArrayList<>();

  @BeforeAll
  static void startBroker() {
    broker =
        TestBroker.start(
            BrokerConfig.defaults()
                .withProtocol(new Protocol(2, true, 4, 64, MAX_EXPIRY, 65535, "", "", false)));
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @AfterEach
  void closeClients() throws IOException {
    for (RawClient c : clients) {
      try {
        c.close();
      } catch (IOException e) {
        // closed by the test already
      }
    }
  }

  @Test
  void connAckSaysTheSessionExpiryWhenTheBrokerShortensIt() throws IOException {
    RawClient c = raw();
    c.send(connect5(id("long"), props(PropertyId.SESSION_EXPIRY_INTERVAL, 1000L)));
    ConnAck ack = c.read(ConnAck.class);
    // Section 3.2.2.3.2: the broker's value, when it differs from the client's.
    assertThat(ack.properties().longValue(PropertyId.SESSION_EXPIRY_INTERVAL)).hasValue(MAX_EXPIRY);
  }

  @Test
  void retainedMessagesExpireAndTheirForwardedExpiryIsReduced() throws Exception {
    String root = "d5/retained-exp/" + id("r");
    RawClient pub = connected("ret-pub", Properties.EMPTY);
    pub.send(retained(root + "/short", "short", props(PropertyId.MESSAGE_EXPIRY_INTERVAL, 1L)));
    pub.read(PubAck.class);
    pub.send(retained(root + "/long", "long", props(PropertyId.MESSAGE_EXPIRY_INTERVAL, 60L)));
    pub.read(PubAck.class);
    long published = System.nanoTime();
    await()
        .pollInterval(Duration.ofMillis(100))
        .until(() -> System.nanoTime() - published > 2_100_000_000L);

    RawClient sub = connected("ret-sub", Properties.EMPTY);
    sub.send(Packets.subscribe(1, root + "/#", QoS.AT_LEAST_ONCE));
    sub.read(SubAck.class);
    Publish p = sub.read(Publish.class);
    // [MQTT-3.3.2-5]: the expired retained message is not sent; [MQTT-3.3.2-6]: the other's
    // expiry is reduced by the time it was kept.
    assertThat(p.topic()).isEqualTo(root + "/long");
    assertThat(p.properties().longValue(PropertyId.MESSAGE_EXPIRY_INTERVAL).getAsLong())
        .isBetween(1L, 58L);
    sub.send(PubAck.of(p.packetId()));
    assertThatThrownBy(() -> sub.read(Duration.ofMillis(300)))
        .isInstanceOf(SocketTimeoutException.class);
    pub.send(retained(root + "/long", "", Properties.EMPTY));
  }

  @Test
  void retainedMessageSentOnSubscribeCarriesTheSubscriptionIdentifier() throws IOException {
    String topic = "d5/retained-subid/" + id("r");
    RawClient pub = connected("rs-pub", Properties.EMPTY);
    pub.send(retained(topic, "kept", Properties.EMPTY));
    pub.read(PubAck.class);
    RawClient sub = connected("rs-sub", Properties.EMPTY);
    sub.send(
        new Subscribe(
            1,
            List.of(Subscription.of(topic, QoS.AT_LEAST_ONCE)),
            props(PropertyId.SUBSCRIPTION_IDENTIFIER, 42)));
    sub.read(SubAck.class);
    Publish p = sub.read(Publish.class);
    // [MQTT-3.3.4-3]
    assertThat(p.retained()).isTrue();
    assertThat(p.properties().intValues(PropertyId.SUBSCRIPTION_IDENTIFIER)).containsExactly(42);
    pub.send(retained(topic, "", Properties.EMPTY));
  }

  @Test
  void aSharedAndANonSharedSubscriptionEachGetTheirOwnCopyWithTheirOwnIdentifier()
      throws IOException {
    // [MQTT-3.3.4-5]: the shared subscription's copy is the group's, the other is the client's own.
    String topic = "d5/shared-and-own/" + id("t");
    RawClient sub = connected("both", Properties.EMPTY);
    sub.send(
        new Subscribe(
            1,
            List.of(Subscription.of("$share/g-" + id("g") + "/" + topic, QoS.AT_LEAST_ONCE)),
            props(PropertyId.SUBSCRIPTION_IDENTIFIER, 11)));
    sub.read(SubAck.class);
    sub.send(
        new Subscribe(
            2,
            List.of(Subscription.of(topic, QoS.AT_LEAST_ONCE)),
            props(PropertyId.SUBSCRIPTION_IDENTIFIER, 22)));
    sub.read(SubAck.class);
    RawClient pub = connected("both-pub", Properties.EMPTY);
    pub.send(Packets.publish5(topic, "once", QoS.AT_LEAST_ONCE, 1, Properties.EMPTY));
    pub.read(PubAck.class);
    Publish first = sub.read(Publish.class);
    Publish second = sub.read(Publish.class);
    assertThat(
            List.of(
                first.properties().intValues(PropertyId.SUBSCRIPTION_IDENTIFIER),
                second.properties().intValues(PropertyId.SUBSCRIPTION_IDENTIFIER)))
        .containsExactlyInAnyOrder(List.of(11), List.of(22));
    assertThat(Packets.text(first)).isEqualTo("once");
    assertThat(Packets.text(second)).isEqualTo("once");
  }

  @Test
  void willPropertiesArePassedOnWithoutTheWillDelay() throws IOException {
    String topic = "d5/will-props/" + id("w");
    RawClient watcher = connected("wp-watch", Properties.EMPTY);
    watcher.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    watcher.read(SubAck.class);
    Properties willProps =
        Properties.builder()
            .add(PropertyId.WILL_DELAY_INTERVAL, 0L)
            .add(PropertyId.CONTENT_TYPE, "text/plain")
            .add(PropertyId.RESPONSE_TOPIC, "d5/will-reply")
            .add(PropertyId.CORRELATION_DATA, BinaryData.of(new byte[] {1, 2}))
            .userProperty("why", "crash")
            .build();
    Will will =
        new Will(topic, BinaryData.of(ItSupport.utf8("gone")), QoS.AT_LEAST_ONCE, false, willProps);
    RawClient c = raw();
    c.send(connect5(id("wp"), true, 60, will, Properties.EMPTY));
    c.read(ConnAck.class);
    c.close(); // no DISCONNECT: the will goes out

    Publish p = watcher.read(Publish.class);
    assertThat(Packets.text(p)).isEqualTo("gone");
    // Section 3.1.3.2: the will properties travel with the will message; the Will
    // Delay Interval is not a PUBLISH property.
    assertThat(p.properties().contains(PropertyId.WILL_DELAY_INTERVAL)).isFalse();
    assertThat(p.properties().stringValue(PropertyId.CONTENT_TYPE)).hasValue("text/plain");
    assertThat(p.properties().stringValue(PropertyId.RESPONSE_TOPIC)).hasValue("d5/will-reply");
    assertThat(p.properties().binaryValue(PropertyId.CORRELATION_DATA))
        .hasValue(BinaryData.of(new byte[] {1, 2}));
    assertThat(p.properties().userProperties()).hasSize(1);
  }

  @Test
  void disconnectWithWillMessagePublishesTheWill() throws IOException {
    String topic = "d5/will-04/" + id("w");
    RawClient watcher = connected("w4-watch", Properties.EMPTY);
    watcher.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    watcher.read(SubAck.class);
    RawClient c = raw();
    c.send(
        connect5(
            id("w4"),
            true,
            60,
            Packets.will(topic, "asked for", QoS.AT_LEAST_ONCE, false),
            Properties.EMPTY));
    c.read(ConnAck.class);
    // Reason code 0x04: disconnect, but publish the will (section 3.14.2.1).
    c.send(new Disconnect(ReasonCode.DISCONNECT_WITH_WILL, Properties.EMPTY));
    assertThat(Packets.text(watcher.read(Publish.class))).isEqualTo("asked for");
  }

  @Test
  void takeoverWithCleanStartPublishesADelayedWillAtOnce() throws IOException {
    String topic = "d5/will-takeover/" + id("w");
    RawClient watcher = connected("wt-watch", Properties.EMPTY);
    watcher.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    watcher.read(SubAck.class);
    String id = id("wt");
    Will will =
        new Will(
            topic,
            BinaryData.of(ItSupport.utf8("replaced")),
            QoS.AT_LEAST_ONCE,
            false,
            props(PropertyId.WILL_DELAY_INTERVAL, 60L));
    RawClient first = raw();
    first.send(connect5(id, true, 60, will, props(PropertyId.SESSION_EXPIRY_INTERVAL, 60L)));
    first.read(ConnAck.class);
    RawClient second = raw();
    second.send(connect5(id, true, 60, null, Properties.EMPTY));
    second.read(ConnAck.class);
    // [MQTT-3.1.4-3] [MQTT-3.1.3-9]: a clean start ends the old session, so its will goes now.
    assertThat(Packets.text(watcher.read(Publish.class))).isEqualTo("replaced");
  }

  @Test
  void anAliasCanBeRemappedToAnotherTopic() throws IOException {
    String root = "d5/remap/" + id("r");
    RawClient sub = connected("remap-sub", Properties.EMPTY);
    sub.send(Packets.subscribe(1, root + "/#", QoS.AT_MOST_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connected("remap-pub", Properties.EMPTY);
    pub.send(publish5(root + "/a", "1", QoS.AT_MOST_ONCE, 0, props(PropertyId.TOPIC_ALIAS, 1)));
    pub.send(publish5(root + "/b", "2", QoS.AT_MOST_ONCE, 0, props(PropertyId.TOPIC_ALIAS, 1)));
    pub.send(publish5("", "3", QoS.AT_MOST_ONCE, 0, props(PropertyId.TOPIC_ALIAS, 1)));
    // Section 3.3.2.3.4: a topic with a known alias replaces the mapping.
    assertThat(sub.read(Publish.class).topic()).isEqualTo(root + "/a");
    assertThat(sub.read(Publish.class).topic()).isEqualTo(root + "/b");
    assertThat(sub.read(Publish.class).topic()).isEqualTo(root + "/b");
  }

  @Test
  void aQos2DuplicateBeforePubRelIsDeliveredOnce() throws IOException {
    String topic = "d5/dup/" + id("d");
    RawClient sub = connected("dup-sub", Properties.EMPTY);
    sub.send(Packets.subscribe(1, topic, QoS.EXACTLY_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connected("dup-pub", Properties.EMPTY);
    Publish p = publish5(topic, "once", QoS.EXACTLY_ONCE, 5, Properties.EMPTY);
    pub.send(p);
    assertThat(pub.read(PubRec.class).packetId()).isEqualTo(5);
    pub.send(
        publish5(topic, "once", QoS.EXACTLY_ONCE, 5, Properties.EMPTY)
            .withDelivery(QoS.EXACTLY_ONCE, false, true, 5));
    // [MQTT-4.3.3-10]: PUBREC again, no second delivery.
    assertThat(pub.read(PubRec.class).packetId()).isEqualTo(5);
    pub.send(PubRel.of(5));
    assertThat(pub.read(PubComp.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    Publish got = sub.read(Publish.class);
    assertThat(Packets.text(got)).isEqualTo("once");
    sub.send(PubRec.of(got.packetId()));
    sub.read(PubRel.class);
    sub.send(PubComp.of(got.packetId()));
    assertThatThrownBy(() -> sub.read(Duration.ofMillis(300)))
        .isInstanceOf(SocketTimeoutException.class);
  }

  @Test
  void anErrorPubRecFromTheClientEndsTheFlowAndFreesTheQuota() throws IOException {
    String topic = "d5/pubrec-err/" + id("e");
    RawClient sub = connected("pre-sub", props(PropertyId.RECEIVE_MAXIMUM, 1));
    sub.send(Packets.subscribe(1, topic, QoS.EXACTLY_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connected("pre-pub", Properties.EMPTY);
    pub.send(publish5(topic, "first", QoS.EXACTLY_ONCE, 1, Properties.EMPTY));
    pub.send(publish5(topic, "second", QoS.EXACTLY_ONCE, 2, Properties.EMPTY));
    Publish first = sub.read(Publish.class);
    assertThat(Packets.text(first)).isEqualTo("first");
    // [MQTT-4.4.0-2] [MQTT-3.3.4-9]: PUBREC 0x80 acknowledges it for good; the quota comes back
    // and no PUBREL follows.
    sub.send(new PubRec(first.packetId(), ReasonCode.UNSPECIFIED_ERROR, Properties.EMPTY));
    Publish second = sub.read(Publish.class);
    assertThat(Packets.text(second)).isEqualTo("second");
  }

  @Test
  void aSharedMemberGetsItsGrantedQos() throws IOException {
    String topic = "d5/shared-qos/" + id("s");
    RawClient member = connected("sq-member", Properties.EMPTY);
    member.send(Packets.subscribe(1, "$share/g/" + topic, QoS.AT_MOST_ONCE));
    assertThat(member.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.SUCCESS);
    RawClient pub = connected("sq-pub", Properties.EMPTY);
    pub.send(publish5(topic, "q2", QoS.EXACTLY_ONCE, 1, Properties.EMPTY));
    // [MQTT-4.8.2-3]: at the member's granted QoS.
    Publish p = member.read(Publish.class);
    assertThat(p.qos()).isEqualTo(QoS.AT_MOST_ONCE);
  }

  @Test
  void aSharedMessageRefusedByItsMemberIsNotSentToAnother() throws IOException {
    String topic = "d5/shared-refused/" + id("s");
    RawClient a = connected("sr-a", Properties.EMPTY);
    a.send(Packets.subscribe(1, "$share/g/" + topic, QoS.AT_LEAST_ONCE));
    a.read(SubAck.class);
    RawClient b = connected("sr-b", Properties.EMPTY);
    b.send(Packets.subscribe(1, "$share/g/" + topic, QoS.AT_LEAST_ONCE));
    b.read(SubAck.class);
    RawClient pub = connected("sr-pub", Properties.EMPTY);
    pub.send(publish5(topic, "one", QoS.AT_LEAST_ONCE, 1, Properties.EMPTY));
    pub.read(PubAck.class);
    RawClient receiver;
    RawClient other;
    Publish p;
    try {
      p = (Publish) a.read(Duration.ofSeconds(3));
      receiver = a;
      other = b;
    } catch (SocketTimeoutException e) {
      p = b.read(Publish.class);
      receiver = b;
      other = a;
    }
    // [MQTT-4.8.2-6]: PUBACK 0x80 means acknowledged; the message is not re-routed.
    receiver.send(new PubAck(p.packetId(), ReasonCode.UNSPECIFIED_ERROR, Properties.EMPTY));
    receiver.close();
    RawClient idle = other;
    assertThatThrownBy(() -> idle.read(Duration.ofMillis(500)))
        .isInstanceOf(SocketTimeoutException.class);
  }

  @Test
  void unsubscribingFromASharedSubscriptionLeavesTheGroup() throws IOException {
    String topic = "d5/shared-unsub/" + id("s");
    RawClient a = connected("su-a", Properties.EMPTY);
    a.send(Packets.subscribe(1, "$share/g/" + topic, QoS.AT_MOST_ONCE));
    a.read(SubAck.class);
    RawClient b = connected("su-b", Properties.EMPTY);
    b.send(Packets.subscribe(1, "$share/g/" + topic, QoS.AT_MOST_ONCE));
    b.read(SubAck.class);
    a.send(
        new io.starling.codec.packet.Unsubscribe(
            2, List.of("$share/g/" + topic), Properties.EMPTY));
    assertThat(a.read(io.starling.codec.packet.UnsubAck.class).reasonCodes())
        .containsExactly(ReasonCode.SUCCESS);
    RawClient pub = connected("su-pub", Properties.EMPTY);
    for (int i = 0; i < 4; i++) {
      pub.send(publish5(topic, "m" + i, QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    }
    for (int i = 0; i < 4; i++) {
      assertThat(Packets.text(b.read(Publish.class))).isEqualTo("m" + i);
    }
    assertThatThrownBy(() -> a.read(Duration.ofMillis(300)))
        .isInstanceOf(SocketTimeoutException.class);
  }

  @Test
  void sharedMessagesGoToConnectedMembersBeforeOfflineOnes() throws IOException {
    String topic = "d5/shared-offline/" + id("s");
    String offlineId = id("so-off");
    RawClient off = raw();
    off.send(connect5(offlineId, props(PropertyId.SESSION_EXPIRY_INTERVAL, 60L)));
    off.read(ConnAck.class);
    off.send(Packets.subscribe(1, "$share/g/" + topic, QoS.AT_LEAST_ONCE));
    off.read(SubAck.class);
    off.send(Disconnect.NORMAL);
    assertThat(off.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    RawClient on = connected("so-on", Properties.EMPTY);
    on.send(Packets.subscribe(1, "$share/g/" + topic, QoS.AT_LEAST_ONCE));
    on.read(SubAck.class);
    RawClient pub = connected("so-pub", Properties.EMPTY);
    for (int i = 0; i < 4; i++) {
      pub.send(publish5(topic, "m" + i, QoS.AT_LEAST_ONCE, i + 1, Properties.EMPTY));
      pub.read(PubAck.class);
    }
    // Section 4.8.2 leaves the choice to the server; Starling prefers connected members.
    for (int i = 0; i < 4; i++) {
      Publish p = on.read(Publish.class);
      assertThat(Packets.text(p)).isEqualTo("m" + i);
      on.send(PubAck.of(p.packetId()));
    }
    // The offline member's session kept nothing.
    RawClient back = raw();
    back.send(connect5(offlineId, false, 60, null, Properties.EMPTY));
    assertThat(back.read(ConnAck.class).sessionPresent()).isTrue();
    assertThatThrownBy(() -> back.read(Duration.ofMillis(300)))
        .isInstanceOf(SocketTimeoutException.class);
  }

  @Test
  void aSharedSubscriptionsIdentifierComesWithItsMessages() throws IOException {
    String topic = "d5/shared-subid/" + id("s");
    RawClient member = connected("ss-member", Properties.EMPTY);
    member.send(
        new Subscribe(
            1,
            List.of(Subscription.of("$share/g/" + topic, QoS.AT_MOST_ONCE)),
            props(PropertyId.SUBSCRIPTION_IDENTIFIER, 77)));
    member.read(SubAck.class);
    RawClient pub = connected("ss-pub", Properties.EMPTY);
    pub.send(publish5(topic, "x", QoS.AT_MOST_ONCE, 0, Properties.EMPTY));
    // [MQTT-3.3.4-3]
    Publish p = member.read(Publish.class);
    assertThat(p.properties().intValues(PropertyId.SUBSCRIPTION_IDENTIFIER)).containsExactly(77);
  }

  @Test
  void aMessageThatExpiresWhileHeldBackByFlowControlIsNotSent() throws Exception {
    String topic = "d5/flow-expiry/" + id("f");
    RawClient sub = connected("fe-sub", props(PropertyId.RECEIVE_MAXIMUM, 1));
    sub.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connected("fe-pub", Properties.EMPTY);
    pub.send(publish5(topic, "m0", QoS.AT_LEAST_ONCE, 1, Properties.EMPTY));
    pub.send(
        publish5(topic, "m1", QoS.AT_LEAST_ONCE, 2, props(PropertyId.MESSAGE_EXPIRY_INTERVAL, 1L)));
    pub.send(publish5(topic, "m2", QoS.AT_LEAST_ONCE, 3, Properties.EMPTY));
    Publish first = sub.read(Publish.class);
    assertThat(Packets.text(first)).isEqualTo("m0");
    long held = System.nanoTime();
    await()
        .pollInterval(Duration.ofMillis(100))
        .until(() -> System.nanoTime() - held > 2_100_000_000L);
    sub.send(PubAck.of(first.packetId()));
    // [MQTT-3.3.2-5]: m1 expired while it waited for the window.
    assertThat(Packets.text(sub.read(Publish.class))).isEqualTo("m2");
  }

  @Test
  void aliasesAreRefusedWhenTheBrokerAllowsNone() throws IOException {
    Broker b =
        TestBroker.start(
            BrokerConfig.defaults()
                .withProtocol(new Protocol(2, true, 0, 64, MAX_EXPIRY, 65535, "", "", false)));
    try {
      RawClient c = RawClient.connect("127.0.0.1", b.port(), MqttVersion.V5);
      clients.add(c);
      c.send(connect5(id("no-alias"), props(PropertyId.TOPIC_ALIAS_MAXIMUM, 5)));
      ConnAck ack = c.read(ConnAck.class);
      // Absent Topic Alias Maximum means 0 [MQTT-3.2.2-18]...
      assertThat(ack.properties().contains(PropertyId.TOPIC_ALIAS_MAXIMUM)).isFalse();
      c.send(publish5("d5/a", "x", QoS.AT_MOST_ONCE, 0, props(PropertyId.TOPIC_ALIAS, 1)));
      // ...so any alias is invalid: DISCONNECT 0x94.
      Disconnect d = c.read(Disconnect.class);
      assertThat(d.reasonCode()).isEqualTo(ReasonCode.TOPIC_ALIAS_INVALID);
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    } finally {
      b.close();
    }
  }

  @Test
  void resentMessagesRespectTheReceiveMaximumOfTheNewConnection() throws IOException {
    String id = id("resume-rm");
    String topic = "d5/resume-rm/" + id;
    RawClient first = raw();
    first.send(
        connect5(
            id,
            true,
            60,
            null,
            Properties.builder()
                .add(PropertyId.SESSION_EXPIRY_INTERVAL, 60L)
                .add(PropertyId.RECEIVE_MAXIMUM, 10)
                .build()));
    first.read(ConnAck.class);
    first.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    first.read(SubAck.class);
    RawClient pub = connected("rm-pub", Properties.EMPTY);
    for (int i = 0; i < 5; i++) {
      pub.send(publish5(topic, "m" + i, QoS.AT_LEAST_ONCE, i + 1, Properties.EMPTY));
      pub.read(PubAck.class);
    }
    for (int i = 0; i < 5; i++) {
      first.read(Publish.class); // not acknowledged
    }
    first.close();

    RawClient again = raw();
    again.send(connect5(id, false, 60, null, props(PropertyId.RECEIVE_MAXIMUM, 2)));
    assertThat(again.read(ConnAck.class).sessionPresent()).isTrue();
    // [MQTT-4.4.0-1] resent with DUP, but [MQTT-3.3.4-9] no more than 2 unacknowledged at once.
    Publish r0 = again.read(Publish.class);
    Publish r1 = again.read(Publish.class);
    assertThat(List.of(Packets.text(r0), Packets.text(r1))).containsExactly("m0", "m1");
    assertThat(r0.dup()).isTrue();
    assertThatThrownBy(() -> again.read(Duration.ofMillis(500)))
        .as("a third unacknowledged PUBLISH")
        .isInstanceOf(SocketTimeoutException.class);
    again.send(PubAck.of(r0.packetId()));
    assertThat(Packets.text(again.read(Publish.class))).isEqualTo("m2");
  }

  @Test
  void resentMessagesRespectTheMaximumPacketSizeOfTheNewConnection() throws IOException {
    String id = id("resume-mps");
    String topic = "d5/resume-mps/" + id;
    RawClient first = raw();
    first.send(connect5(id, true, 60, null, props(PropertyId.SESSION_EXPIRY_INTERVAL, 60L)));
    first.read(ConnAck.class);
    first.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    first.read(SubAck.class);
    RawClient pub = connected("mps-pub", Properties.EMPTY);
    pub.send(publish5(topic, "x".repeat(500), QoS.AT_LEAST_ONCE, 1, Properties.EMPTY));
    pub.read(PubAck.class);
    pub.send(publish5(topic, "small", QoS.AT_LEAST_ONCE, 2, Properties.EMPTY));
    pub.read(PubAck.class);
    first.read(Publish.class);
    first.read(Publish.class); // neither acknowledged
    first.close();

    RawClient again = raw();
    again.send(connect5(id, false, 60, null, props(PropertyId.MAXIMUM_PACKET_SIZE, 200L)));
    assertThat(again.read(ConnAck.class).sessionPresent()).isTrue();
    // [MQTT-3.1.2-24] [MQTT-3.1.2-25]: the large one is discarded, not sent.
    Publish p = again.read(Publish.class);
    assertThat(Packets.text(p)).isEqualTo("small");
    assertThat(p.dup()).isTrue();
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static String id(String prefix) {
    return ItSupport.uniqueId(prefix);
  }

  private RawClient raw() throws IOException {
    RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5);
    clients.add(c);
    return c;
  }

  private RawClient connected(String prefix, Properties connectProps) throws IOException {
    RawClient c = raw();
    c.send(connect5(id(prefix), connectProps));
    assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    return c;
  }

  private static Publish retained(String topic, String payload, Properties props) {
    return publish5(topic, payload, QoS.AT_LEAST_ONCE, 1, props)
        .withDelivery(QoS.AT_LEAST_ONCE, true, false, 1);
  }
}
