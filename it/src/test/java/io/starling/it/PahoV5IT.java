package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static io.starling.it.PahoV5Client.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.Protocol;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.it.PahoV5Client.Received;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Eclipse Paho MQTT 5.0 client against an in-process broker: every 5.0 feature it exposes. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PahoV5IT {
  private static final int ALIAS_MAX = 10;
  private static final int RECEIVE_MAX = 100;

  private static Broker broker;
  private final List<PahoV5Client> clients = new ArrayList<>();
  private final List<Broker> extraBrokers = new ArrayList<>();

  @BeforeAll
  static void startBroker() {
    broker =
        TestBroker.start(
            BrokerConfig.defaults()
                .withProtocol(
                    new Protocol(
                        2,
                        true,
                        ALIAS_MAX,
                        RECEIVE_MAX,
                        Protocol.NEVER_EXPIRES,
                        65535,
                        "reply/%c",
                        "",
                        false)));
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @AfterEach
  void closeClients() {
    clients.forEach(PahoV5Client::close);
    extraBrokers.forEach(Broker::close);
  }

  // ---- CONNACK ------------------------------------------------------------------------------

  @Test
  void connAckTellsTheBrokersLimitsAndAssignsAnIdentifier() throws Exception {
    PahoV5Client c = client(broker, "");
    MqttConnectionOptions o = PahoV5Client.options();
    o.setRequestResponseInfo(true);
    MqttProperties p = c.connect(o).getResponseProperties();
    // Section 3.2.2.3: the broker's limits, as configured.
    assertThat(p.getMaximumPacketSize())
        .isEqualTo((long) BrokerConfig.Limits.DEFAULT.maxPacketSizeBytes());
    assertThat(p.getTopicAliasMaximum()).isEqualTo(ALIAS_MAX);
    assertThat(p.getReceiveMaximum()).isEqualTo(RECEIVE_MAX);
    assertThat(p.isWildcardSubscriptionsAvailable()).isTrue();
    assertThat(p.isSubscriptionIdentifiersAvailable()).isTrue();
    assertThat(p.isSharedSubscriptionAvailable()).isTrue();
    // [MQTT-3.2.2-16]: an empty client id gets an Assigned Client Identifier.
    String assigned = p.getAssignedClientIdentifier();
    assertThat(assigned).isNotBlank();
    // Response Information, requested and configured, with %c replaced.
    assertThat(p.getResponseInfo()).isEqualTo("reply/" + assigned);
    // [MQTT-3.2.2-22]: no Server Keep Alive when the client's keep-alive is accepted.
    assertThat(p.getServerKeepAlive()).isNull();
  }

  @Test
  void noResponseInformationUnlessRequested() throws Exception {
    PahoV5Client c = client(broker, uniqueId("noinfo"));
    MqttProperties p = c.connect().getResponseProperties();
    assertThat(p.getResponseInfo()).isNull();
    assertThat(p.getAssignedClientIdentifier()).isNull();
  }

  @Test
  void serverKeepAliveWhenTheBrokerCapsIt() throws Exception {
    Broker b = extra(new Protocol(2, true, 10, 1024, 3600, 20, "", "", false));
    PahoV5Client c = client(b, uniqueId("ka"));
    MqttConnectionOptions o = PahoV5Client.options();
    o.setKeepAliveInterval(60);
    // Section 3.2.2.3.14: the broker's keep-alive replaces the client's.
    assertThat(c.connect(o).getResponseProperties().getServerKeepAlive()).isEqualTo(20);
  }

  @Test
  void redirectIsUseAnotherServerWithAServerReference() throws Exception {
    Broker b = extra(new Protocol(2, true, 10, 1024, 3600, 65535, "", "other:1883", false));
    PahoV5Client c = client(b, uniqueId("redirect"));
    assertThatThrownBy(c::connect)
        .isInstanceOfSatisfying(
            MqttException.class, e -> assertThat(e.getReasonCode()).isEqualTo(0x9C));
    assertRedirect(b, ReasonCode.USE_ANOTHER_SERVER);
  }

  @Test
  void permanentRedirectIsServerMoved() throws Exception {
    Broker b = extra(new Protocol(2, true, 10, 1024, 3600, 65535, "", "other:1883", true));
    PahoV5Client c = client(b, uniqueId("moved"));
    assertThatThrownBy(c::connect)
        .isInstanceOfSatisfying(
            MqttException.class, e -> assertThat(e.getReasonCode()).isEqualTo(0x9D));
    assertRedirect(b, ReasonCode.SERVER_MOVED);
  }

  /** Paho does not expose CONNACK properties of a refusal: the reference is read raw. */
  private static void assertRedirect(Broker b, ReasonCode code) throws IOException {
    try (RawClient raw = RawClient.connect("127.0.0.1", b.port(), MqttVersion.V5)) {
      raw.send(Packets.connect5(uniqueId("raw"), Properties.EMPTY));
      ConnAck ack = raw.read(ConnAck.class);
      assertThat(ack.reasonCode()).isEqualTo(code);
      assertThat(ack.properties().stringValue(PropertyId.SERVER_REFERENCE)).hasValue("other:1883");
    }
  }

  // ---- session expiry ------------------------------------------------------------------------

  @Test
  void queuedQos1IsDeliveredAfterAReconnectWithinTheExpiry() throws Exception {
    String id = uniqueId("sess");
    String topic = "v5/sess/" + id;
    PahoV5Client first = client(broker, id);
    first.connect(persistent(60, true));
    first.subscribe(topic, 1);
    first.disconnect(new MqttProperties());

    publisher().publish(topic, "while away", 1, false);

    PahoV5Client again = client(broker, id);
    IMqttToken ack = again.connect(persistent(60, false));
    // [MQTT-3.2.2-2]: the session is still there.
    assertThat(ack.getSessionPresent()).isTrue();
    Received r = again.next();
    assertThat(r.text()).isEqualTo("while away");
    assertThat(r.message().getQos()).isEqualTo(1);
  }

  @Test
  void sessionIsGoneAfterItsExpiry() throws Exception {
    String id = uniqueId("expire");
    PahoV5Client first = client(broker, id);
    first.connect(persistent(1, true));
    first.subscribe("v5/expire/" + id, 1);
    first.disconnect(new MqttProperties());
    // [MQTT-4.1.0-2]: the session ends when its expiry interval has passed.
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.sessions().get(id) == null);
    PahoV5Client again = client(broker, id);
    assertThat(again.connect(persistent(1, false)).getSessionPresent()).isFalse();
  }

  @Test
  void expirySetToZeroOnDisconnectEndsTheSession() throws Exception {
    String id = uniqueId("expiry-dis");
    PahoV5Client first = client(broker, id);
    first.connect(persistent(300, true));
    first.subscribe("v5/expiry-dis/" + id, 1);
    MqttProperties props = new MqttProperties();
    props.setSessionExpiryInterval(0L);
    // Section 3.14.2.2.2: the DISCONNECT's expiry replaces the CONNECT's.
    first.disconnect(props);
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.sessions().get(id) == null);
    PahoV5Client again = client(broker, id);
    assertThat(again.connect(persistent(300, false)).getSessionPresent()).isFalse();
  }

  // ---- message expiry ------------------------------------------------------------------------

  @Test
  void expiredMessagesAreNotDeliveredAndTheRestHaveTheirExpiryReduced() throws Exception {
    String id = uniqueId("msgexp");
    String topic = "v5/msgexp/" + id;
    PahoV5Client sub = client(broker, id);
    sub.connect(persistent(60, true));
    sub.subscribe(topic, 1);
    sub.disconnect(new MqttProperties());

    PahoV5Client pub = publisher();
    pub.publish(topic, message("short", 1, false, expiry(1)));
    pub.publish(topic, message("long", 1, false, expiry(60)));
    long published = System.nanoTime();
    // Time has to pass for the first message to expire.
    await()
        .pollInterval(Duration.ofMillis(100))
        .until(() -> System.nanoTime() - published > 2_100_000_000L);

    PahoV5Client again = client(broker, id);
    again.connect(persistent(60, false));
    Received r = again.next();
    // [MQTT-3.3.2-5]: the expired message is not delivered.
    assertThat(r.text()).isEqualTo("long");
    // [MQTT-3.3.2-6]: the forwarded expiry is reduced by the time the message waited.
    assertThat(r.properties().getMessageExpiryInterval()).isBetween(1L, 58L);
    again.expectNothingWithin(Duration.ofMillis(300));
  }

  // ---- will delay ----------------------------------------------------------------------------

  @Test
  void delayedWillIsCancelledWhenTheClientReturnsInTime() throws Exception {
    String topic = "v5/will/cancel/" + uniqueId("w");
    PahoV5Client watcher = subscriber(topic, 1);
    String id = uniqueId("will-cancel");
    PahoV5Client c = client(broker, id);
    c.connect(withWill(persistent(60, true), topic, 2));
    c.crash();
    long crashed = System.nanoTime();
    PahoV5Client back = client(broker, id);
    back.connect(persistent(60, false));
    // [MQTT-3.1.3-9]: not published, because the session was resumed before the delay.
    await()
        .pollInterval(Duration.ofMillis(100))
        .until(() -> System.nanoTime() - crashed > 3_000_000_000L);
    watcher.expectNothingWithin(Duration.ofMillis(200));
  }

  @Test
  void delayedWillIsPublishedAfterTheDelay() throws Exception {
    String topic = "v5/will/delay/" + uniqueId("w");
    PahoV5Client watcher = subscriber(topic, 1);
    PahoV5Client c = client(broker, uniqueId("will-delay"));
    c.connect(withWill(persistent(60, true), topic, 1));
    c.crash();
    long crashed = System.nanoTime();
    Received r = watcher.next();
    assertThat(r.text()).isEqualTo("last words");
    assertThat(System.nanoTime() - crashed).as("not before the delay").isGreaterThan(800_000_000L);
  }

  @Test
  void delayedWillIsPublishedWhenTheSessionEndsFirst() throws Exception {
    String topic = "v5/will/end/" + uniqueId("w");
    PahoV5Client watcher = subscriber(topic, 1);
    PahoV5Client c = client(broker, uniqueId("will-end"));
    // Will delay 60 s, but the session expires after 1 s [MQTT-3.1.3-9].
    c.connect(withWill(persistent(1, true), topic, 60));
    c.crash();
    long crashed = System.nanoTime();
    Received r = watcher.next();
    assertThat(r.text()).isEqualTo("last words");
    assertThat(System.nanoTime() - crashed).isGreaterThan(800_000_000L);
  }

  // ---- topic aliases, flow control, packet size ----------------------------------------------

  @Test
  void topicAliasesBothWays() throws Exception {
    String topic = "v5/alias/" + uniqueId("a");
    PahoV5Client aliased = client(broker, uniqueId("alias-sub"));
    MqttConnectionOptions o = PahoV5Client.options();
    o.setTopicAliasMaximum(3);
    aliased.connect(o);
    aliased.subscribe(topic, 1);
    PahoV5Client plain = subscriber(topic, 1);
    PahoV5Client pub = client(broker, uniqueId("alias-pub"));
    // Paho sets up outbound aliases itself when CONNACK allows some: the first PUBLISH carries
    // the topic and alias 1, the rest an empty topic and alias 1.
    assertThat(pub.connect().getResponseProperties().getTopicAliasMaximum()).isEqualTo(ALIAS_MAX);
    for (int i = 0; i < 5; i++) {
      pub.publish(topic, "m" + i, 1, false);
    }
    // [MQTT-3.3.2-12] [MQTT-3.3.2-3]: the broker resolves the publisher's aliases; a subscriber
    // that allows none gets the full topic every time [MQTT-3.1.2-27].
    List<Received> got = plain.next(5);
    assertThat(got).extracting(Received::topic).containsOnly(topic);
    assertThat(got).extracting(Received::text).containsExactly("m0", "m1", "m2", "m3", "m4");
    assertThat(got).allSatisfy(r -> assertThat(r.properties().getTopicAlias()).isNull());

    // [MQTT-3.3.2-11] [MQTT-3.1.2-26]: towards the client that allows 3, the broker uses one
    // alias within 1..3 for the topic. (Paho 1.2.5 cannot resolve incoming aliases: its
    // ClientState looks the alias up with Hashtable.contains, which searches values, so the
    // topic of the aliased copies reaches the application empty; HiveMqV5IT and Mqtt5ProtocolIT
    // check the resolution.)
    List<Received> viaAlias = aliased.next(5);
    assertThat(viaAlias.get(0).topic()).isEqualTo(topic);
    assertThat(viaAlias).extracting(Received::text).containsExactly("m0", "m1", "m2", "m3", "m4");
    assertThat(viaAlias)
        .extracting(r -> r.properties().getTopicAlias())
        .containsOnly(viaAlias.get(0).properties().getTopicAlias());
    assertThat(viaAlias.get(0).properties().getTopicAlias()).isBetween(1, 3);
  }

  @Test
  void receiveMaximumLimitsUnacknowledgedDeliveries() throws Exception {
    String topic = "v5/recvmax/" + uniqueId("r");
    PahoV5Client sub = client(broker, uniqueId("recvmax"));
    sub.client.setManualAcks(true);
    MqttConnectionOptions o = PahoV5Client.options();
    o.setReceiveMaximum(2);
    sub.connect(o);
    sub.subscribe(topic, 1);
    PahoV5Client pub = publisher();
    for (int i = 0; i < 5; i++) {
      pub.publish(topic, "m" + i, 1, false);
    }
    // [MQTT-3.3.4-9]: at most 2 QoS 1 deliveries unacknowledged at once.
    List<Received> first = sub.next(2);
    sub.expectNothingWithin(Duration.ofMillis(500));
    sub.client.messageArrivedComplete(first.get(0).message().getId(), 1);
    Received third = sub.next();
    assertThat(third.text()).isEqualTo("m2");
    sub.expectNothingWithin(Duration.ofMillis(300));
  }

  @Test
  void aMessageTooLargeForOneSubscriberIsDroppedForItOnly() throws Exception {
    String topic = "v5/size/" + uniqueId("s");
    PahoV5Client small = client(broker, uniqueId("small"));
    MqttConnectionOptions o = PahoV5Client.options();
    o.setMaximumPacketSize(200L);
    small.connect(o);
    small.subscribe(topic, 1);
    PahoV5Client big = subscriber(topic, 1);
    long droppedBefore = broker.stats().tooLargeDropped.sum();

    PahoV5Client pub = publisher();
    pub.publish(topic, "x".repeat(500), 1, false);
    pub.publish(topic, "small", 1, false);
    // [MQTT-3.1.2-25]: not sent to the client whose maximum it exceeds; others get it.
    assertThat(big.next(2)).extracting(Received::text).containsExactly("x".repeat(500), "small");
    assertThat(small.next().text()).isEqualTo("small");
    assertThat(broker.stats().tooLargeDropped.sum()).isEqualTo(droppedBefore + 1);
  }

  // ---- subscription options and identifiers --------------------------------------------------

  @Test
  void noLocalSuppressesOwnMessages() throws Exception {
    String topic = "v5/nolocal/" + uniqueId("n");
    PahoV5Client c = client(broker, uniqueId("nolocal"));
    c.connect();
    MqttSubscription s = new MqttSubscription(topic, 1);
    s.setNoLocal(true);
    c.subscribe(null, s);
    c.publish(topic, "own", 1, false);
    publisher().publish(topic, "other", 1, false);
    // [MQTT-3.8.3-3]: own publication not forwarded.
    assertThat(c.next().text()).isEqualTo("other");
    c.expectNothingWithin(Duration.ofMillis(300));
  }

  @Test
  void retainAsPublishedKeepsTheRetainFlag() throws Exception {
    String topic = "v5/rap/" + uniqueId("r");
    PahoV5Client keep = client(broker, uniqueId("rap"));
    keep.connect();
    MqttSubscription s = new MqttSubscription(topic, 1);
    s.setRetainAsPublished(true);
    keep.subscribe(null, s);
    PahoV5Client plain = subscriber(topic, 1);
    publisher().publish(topic, "kept", 1, true);
    // [MQTT-3.3.1-12] [MQTT-3.3.1-13]
    assertThat(keep.next().message().isRetained()).isTrue();
    assertThat(plain.next().message().isRetained()).isFalse();
    clearRetained(topic);
  }

  @Test
  void retainHandlingZeroOneTwo() throws Exception {
    String topic = "v5/rh/" + uniqueId("r");
    publisher().publish(topic, "retained", 1, true);
    PahoV5Client c = client(broker, uniqueId("rh"));
    c.connect();

    // 0: sent at every subscribe [MQTT-3.3.1-9].
    c.subscribe(null, retainHandling(topic, 0));
    assertThat(c.next().message().isRetained()).isTrue();
    c.subscribe(null, retainHandling(topic, 0));
    assertThat(c.next().text()).isEqualTo("retained");

    // 1: only when the subscription is new [MQTT-3.3.1-10].
    c.client.unsubscribe(topic).waitForCompletion(5000);
    c.subscribe(null, retainHandling(topic, 1));
    assertThat(c.next().text()).isEqualTo("retained");
    c.subscribe(null, retainHandling(topic, 1));
    c.expectNothingWithin(Duration.ofMillis(300));

    // 2: never [MQTT-3.3.1-11].
    PahoV5Client d = client(broker, uniqueId("rh2"));
    d.connect();
    d.subscribe(null, retainHandling(topic, 2));
    d.expectNothingWithin(Duration.ofMillis(300));
    clearRetained(topic);
  }

  @Test
  void subscriptionIdentifiersComeWithMatchingMessages() throws Exception {
    String root = "v5/subid/" + uniqueId("s");
    PahoV5Client c = client(broker, uniqueId("subid"));
    c.connect();
    c.subscribe(subscriptionId(7), new MqttSubscription(root + "/+", 1));
    c.subscribe(subscriptionId(9), new MqttSubscription(root + "/b", 1));
    publisher().publish(root + "/a", "only7", 1, false);
    Received a = c.next();
    // [MQTT-3.3.4-3]: the identifier of the matching subscription.
    assertThat(a.properties().getSubscriptionIdentifiers()).containsExactly(7);

    publisher().publish(root + "/b", "both", 1, false);
    // [MQTT-3.3.4-4] [MQTT-3.3.4-5]: both identifiers, in one copy or one per copy.
    Set<Integer> ids = new HashSet<>(c.next().properties().getSubscriptionIdentifiers());
    Received more = c.messages.poll(500, TimeUnit.MILLISECONDS);
    if (more != null) {
      ids.addAll(more.properties().getSubscriptionIdentifiers());
    }
    assertThat(ids).containsExactlyInAnyOrder(7, 9);
  }

  // ---- shared subscriptions ------------------------------------------------------------------

  @Test
  void sharedSubscriptionBalancesAndDeliversEachMessageOncePerGroup() throws Exception {
    String topic = "v5/shared/" + uniqueId("s");
    PahoV5Client a = subscriber("$share/g/" + topic, 1);
    PahoV5Client b = subscriber("$share/g/" + topic, 1);
    PahoV5Client other = subscriber("$share/h/" + topic, 1);
    PahoV5Client pub = publisher();
    for (int i = 0; i < 10; i++) {
      pub.publish(topic, "m" + i, 1, false);
    }
    // Section 4.8.2: each message to one member of each group.
    assertThat(other.next(10)).hasSize(10);
    List<String> got = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              drain(a, got, "a:");
              drain(b, got, "b:");
              return got.size() >= 10;
            });
    a.expectNothingWithin(Duration.ofMillis(200));
    b.expectNothingWithin(Duration.ofMillis(1));
    Set<String> payloads = got.stream().map(s -> s.substring(2)).collect(Collectors.toSet());
    assertThat(got).hasSize(10);
    assertThat(payloads).hasSize(10);
    long toA = got.stream().filter(s -> s.startsWith("a:")).count();
    assertThat(toA).as("balanced between two members").isBetween(3L, 7L);
  }

  @Test
  void sharedSubscriptionsGetNoRetainedMessages() throws Exception {
    String topic = "v5/shared-ret/" + uniqueId("s");
    publisher().publish(topic, "retained", 1, true);
    PahoV5Client s = subscriber("$share/g/" + topic, 1);
    publisher().publish(topic, "live", 1, false);
    // Section 4.8.2 (no id): retained messages are not sent to shared subscriptions.
    assertThat(s.next().text()).isEqualTo("live");
    clearRetained(topic);
  }

  @Test
  void aLeavingMembersUnacknowledgedMessagesGoToAnotherMember() throws Exception {
    String topic = "v5/shared-leave/" + uniqueId("s");
    PahoV5Client lazy = client(broker, uniqueId("lazy"));
    lazy.client.setManualAcks(true);
    lazy.connect();
    lazy.subscribe("$share/g/" + topic, 1);
    PahoV5Client busy = subscriber("$share/g/" + topic, 1);
    PahoV5Client pub = publisher();
    for (int i = 0; i < 4; i++) {
      pub.publish(topic, "m" + i, 1, false);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> lazy.messages.size() >= 1);
    lazy.crash();
    // Section 4.8.2: the QoS 1 messages the leaving member did not acknowledge go to another.
    List<String> got = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              drain(busy, got, "");
              return got.size() >= 4;
            });
    assertThat(got).containsExactlyInAnyOrder("m0", "m1", "m2", "m3");
  }

  @Test
  void aSharedGroupLosesNoQos1MessageWhenAMemberCrashesMidStream() throws Exception {
    String topic = "v5/shared-crash/" + uniqueId("s");
    PahoV5Client crashing = subscriber("$share/g/" + topic, 1);
    PahoV5Client b = subscriber("$share/g/" + topic, 1);
    PahoV5Client c = subscriber("$share/g/" + topic, 1);
    int perPublisher = 200;
    List<Thread> publishers = new ArrayList<>();
    for (int n = 0; n < 2; n++) {
      PahoV5Client pub = publisher();
      String prefix = "p" + n + "-";
      Thread t =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < perPublisher; i++) {
                    pub.publish(topic, prefix + i, 1, false);
                  }
                } catch (MqttException e) {
                  throw new IllegalStateException(e);
                }
              });
      publishers.add(t);
      t.start();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> crashing.messages.size() >= 30);
    crashing.crash();
    for (Thread t : publishers) {
      t.join(15_000);
    }
    // At least once: every message reached some member; what the crashed member had not
    // acknowledged went to another member (section 4.8.2).
    Set<String> got = new HashSet<>();
    List<String> all = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              drain(crashing, all, "");
              drain(b, all, "");
              drain(c, all, "");
              got.addAll(all);
              return got.size() >= 2 * perPublisher;
            });
    assertThat(got).hasSize(2 * perPublisher);
  }

  // ---- request/response ----------------------------------------------------------------------

  @Test
  void requestResponsePropertiesPassThroughUnchanged() throws Exception {
    String topic = "v5/req/" + uniqueId("r");
    PahoV5Client sub = subscriber(topic, 1);
    MqttProperties p = new MqttProperties();
    p.setResponseTopic("v5/resp/" + topic);
    p.setCorrelationData(new byte[] {1, 2, 3, (byte) 0xFF});
    p.setContentType("application/json");
    p.setPayloadFormat(true);
    p.setUserProperties(
        List.of(
            new UserProperty("b", "1"), new UserProperty("a", "2"), new UserProperty("b", "3")));
    publisher().publish(topic, message("{\"q\":1}", 1, false, p));

    MqttProperties got = sub.next().properties();
    // [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-20] [MQTT-3.3.2-4] [MQTT-3.3.2-17]
    // [MQTT-3.3.2-18]
    assertThat(got.getResponseTopic()).isEqualTo("v5/resp/" + topic);
    assertThat(got.getCorrelationData()).containsExactly(1, 2, 3, (byte) 0xFF);
    assertThat(got.getContentType()).isEqualTo("application/json");
    assertThat(got.getPayloadFormat()).isTrue();
    assertThat(got.getUserProperties())
        .extracting(u -> u.getKey() + "=" + u.getValue())
        .containsExactly("b=1", "a=2", "b=3");
  }

  // ---- reason codes --------------------------------------------------------------------------

  @Test
  void pubAckSaysNoMatchingSubscribers() throws Exception {
    IMqttToken t = publisher().publish("v5/nobody/" + uniqueId("n"), "x", 1, false);
    assertThat(t.getReasonCodes()).containsExactly(0x10);
  }

  @Test
  void publishingToSysIsNotAuthorized() throws Exception {
    PahoV5Client pub = publisher();
    int code;
    try {
      code = pub.publish("$SYS/mine", "x", 1, false).getReasonCodes()[0];
    } catch (MqttException e) {
      code = e.getReasonCode();
    }
    assertThat(code).isEqualTo(0x87);
  }

  @Test
  void unsubAckSaysNoSubscriptionExisted() throws Exception {
    PahoV5Client c = client(broker, uniqueId("unsub"));
    c.connect();
    c.subscribe("v5/unsub/a", 1);
    IMqttToken t = c.client.unsubscribe(new String[] {"v5/unsub/a", "v5/unsub/never"});
    t.waitForCompletion(5000);
    // [MQTT-3.11.3-1]: one reason code per filter.
    assertThat(t.getReasonCodes()).containsExactly(0x00, 0x11);
  }

  @Test
  void aTakenOverSessionIsToldWhy() throws Exception {
    String id = uniqueId("takeover");
    PahoV5Client first = client(broker, id);
    first.connect();
    PahoV5Client second = client(broker, id);
    second.connect();
    // [MQTT-3.1.4-3]: the old connection gets DISCONNECT 0x8E.
    assertThat(first.nextDisconnect().getReturnCode()).isEqualTo(0x8E);
    assertThat(second.client.isConnected()).isTrue();
  }

  @Test
  void shutdownTellsClientsServerShuttingDown() throws Exception {
    Broker b = extra(Protocol.DEFAULT);
    PahoV5Client c = client(b, uniqueId("shutdown"));
    c.connect();
    b.close();
    assertThat(c.nextDisconnect().getReturnCode()).isEqualTo(0x8B);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private PahoV5Client client(Broker b, String id) throws MqttException {
    PahoV5Client c = new PahoV5Client(b.port(), id);
    clients.add(c);
    return c;
  }

  private PahoV5Client publisher() throws MqttException {
    PahoV5Client c = client(broker, uniqueId("pub"));
    c.connect();
    return c;
  }

  private PahoV5Client subscriber(String filter, int qos) throws MqttException {
    PahoV5Client c = client(broker, uniqueId("sub"));
    c.connect();
    c.subscribe(filter, qos);
    return c;
  }

  private Broker extra(Protocol p) {
    Broker b = TestBroker.start(BrokerConfig.defaults().withProtocol(p));
    extraBrokers.add(b);
    return b;
  }

  private static MqttConnectionOptions persistent(long expirySeconds, boolean cleanStart) {
    MqttConnectionOptions o = PahoV5Client.options();
    o.setCleanStart(cleanStart);
    o.setSessionExpiryInterval(expirySeconds);
    return o;
  }

  private static MqttConnectionOptions withWill(
      MqttConnectionOptions o, String topic, long delaySeconds) {
    o.setWill(topic, message("last words", 1, false, new MqttProperties()));
    MqttProperties wp = new MqttProperties();
    wp.setWillDelayInterval(delaySeconds);
    o.setWillMessageProperties(wp);
    return o;
  }

  private static MqttProperties expiry(long seconds) {
    MqttProperties p = new MqttProperties();
    p.setMessageExpiryInterval(seconds);
    return p;
  }

  private static MqttProperties subscriptionId(int id) {
    MqttProperties p = new MqttProperties();
    p.setSubscriptionIdentifier(id);
    return p;
  }

  private static MqttSubscription retainHandling(String topic, int handling) {
    MqttSubscription s = new MqttSubscription(topic, 1);
    s.setRetainHandling(handling);
    return s;
  }

  private static void drain(PahoV5Client c, List<String> into, String prefix) {
    Received r;
    while ((r = c.messages.poll()) != null) {
      into.add(prefix + r.text());
    }
  }

  private void clearRetained(String topic) throws MqttException {
    publisher().publish(topic, message("", 1, true, new MqttProperties()));
  }
}
