package io.starling.it;

import static io.starling.it.ItSupport.text;
import static io.starling.it.ItSupport.uniqueId;
import static io.starling.it.ItSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient.Mqtt5Publishes;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckRestrictions;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import com.hivemq.client.mqtt.mqtt5.message.unsubscribe.unsuback.Mqtt5UnsubAckReasonCode;
import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.Protocol;
import io.starling.testkit.TestBroker;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The HiveMQ MQTT client in MQTT 5.0 mode against an in-process broker. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HiveMqV5IT {
  private static Broker broker;
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();
  private final List<Mqtt5Publishes> streams = new ArrayList<>();

  @BeforeAll
  static void startBroker() {
    broker =
        TestBroker.start(
            BrokerConfig.defaults()
                .withProtocol(
                    new Protocol(
                        2, true, 8, 50, Protocol.NEVER_EXPIRES, 65535, "hive/%c", "", false)));
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @AfterEach
  void closeClients() {
    streams.forEach(Mqtt5Publishes::close);
    for (Mqtt5BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
  }

  @Test
  void connAckRestrictionsAndAssignedIdentifier() {
    Mqtt5BlockingClient c =
        Mqtt5Client.builder().serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
    clients.add(c);
    Mqtt5ConnAck ack =
        c.connectWith().restrictions().requestResponseInformation(true).applyRestrictions().send();
    Mqtt5ConnAckRestrictions r = ack.getRestrictions();
    assertThat(r.getReceiveMaximum()).isEqualTo(50);
    assertThat(r.getTopicAliasMaximum()).isEqualTo(8);
    assertThat(r.getMaximumPacketSize())
        .isEqualTo(BrokerConfig.Limits.DEFAULT.maxPacketSizeBytes());
    assertThat(r.getMaximumQos()).isEqualTo(MqttQos.EXACTLY_ONCE);
    assertThat(r.isRetainAvailable()).isTrue();
    assertThat(r.isWildcardSubscriptionAvailable()).isTrue();
    assertThat(r.isSharedSubscriptionAvailable()).isTrue();
    assertThat(r.areSubscriptionIdentifiersAvailable()).isTrue();
    // [MQTT-3.2.2-16]
    String assigned = ack.getAssignedClientIdentifier().orElseThrow().toString();
    assertThat(assigned).isNotEmpty();
    assertThat(ack.getResponseInformation().orElseThrow().toString()).isEqualTo("hive/" + assigned);
  }

  @Test
  void userPropertiesAndRequestResponseFieldsPassThrough() throws InterruptedException {
    String topic = "hive5/req/" + uniqueId("r");
    Mqtt5Publishes received = subscribed(topic, MqttQos.AT_LEAST_ONCE);
    connected(uniqueId("pub"))
        .publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(utf8("{}"))
        .responseTopic("hive5/resp")
        .correlationData(new byte[] {7, 0, 7})
        .contentType("application/json")
        .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
        .userProperties()
        .add("z", "1")
        .add("a", "2")
        .add("z", "3")
        .applyUserProperties()
        .send();
    Mqtt5Publish p = next(received);
    // [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-20] [MQTT-3.3.2-4] [MQTT-3.3.2-17]
    // [MQTT-3.3.2-18]
    assertThat(p.getResponseTopic().orElseThrow().toString()).isEqualTo("hive5/resp");
    ByteBuffer cd = p.getCorrelationData().orElseThrow();
    byte[] cdBytes = new byte[cd.remaining()];
    cd.get(cdBytes);
    assertThat(cdBytes).containsExactly(7, 0, 7);
    assertThat(p.getContentType().orElseThrow().toString()).isEqualTo("application/json");
    assertThat(p.getPayloadFormatIndicator()).hasValue(Mqtt5PayloadFormatIndicator.UTF_8);
    assertThat(p.getUserProperties().asList())
        .extracting(u -> u.getName() + "=" + u.getValue())
        .containsExactly("z=1", "a=2", "z=3");
  }

  @Test
  void messageExpiryIsReducedAndExpiredMessagesAreDropped() throws InterruptedException {
    String id = uniqueId("exp");
    String topic = "hive5/exp/" + id;
    Mqtt5BlockingClient sub = client(id);
    sub.connectWith().cleanStart(true).sessionExpiryInterval(60).send();
    sub.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
    sub.disconnect();

    Mqtt5BlockingClient pub = connected(uniqueId("pub"));
    pub.publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(utf8("short"))
        .messageExpiryInterval(1)
        .send();
    pub.publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(utf8("long"))
        .messageExpiryInterval(60)
        .send();
    long published = System.nanoTime();
    org.awaitility.Awaitility.await()
        .pollInterval(Duration.ofMillis(100))
        .until(() -> System.nanoTime() - published > 2_100_000_000L);

    Mqtt5BlockingClient again = client(id);
    Mqtt5Publishes received = publishes(again);
    Mqtt5ConnAck ack = again.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
    assertThat(ack.isSessionPresent()).isTrue();
    Mqtt5Publish p = next(received);
    // [MQTT-3.3.2-5] [MQTT-3.3.2-6]
    assertThat(text(p.getPayloadAsBytes())).isEqualTo("long");
    assertThat(p.getMessageExpiryInterval().orElseThrow()).isBetween(1L, 58L);
    assertThat(received.receive(300, TimeUnit.MILLISECONDS)).isEmpty();
  }

  @Test
  void sessionExpiryKeepsQueuedMessagesAndEndsTheSession() throws InterruptedException {
    String id = uniqueId("sess");
    String topic = "hive5/sess/" + id;
    Mqtt5BlockingClient first = client(id);
    first.connectWith().cleanStart(true).sessionExpiryInterval(2).send();
    first.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
    first.disconnect();
    connected(uniqueId("pub"))
        .publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(utf8("kept"))
        .send();

    Mqtt5BlockingClient again = client(id);
    Mqtt5Publishes received = publishes(again);
    assertThat(
            again
                .connectWith()
                .cleanStart(false)
                .sessionExpiryInterval(1)
                .send()
                .isSessionPresent())
        .isTrue();
    assertThat(text(next(received).getPayloadAsBytes())).isEqualTo("kept");
    again.disconnect();
    // [MQTT-4.1.0-2]: 1 s after this disconnect the session is gone.
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> broker.sessions().get(id) == null);
    Mqtt5BlockingClient third = client(id);
    assertThat(third.connectWith().cleanStart(false).send().isSessionPresent()).isFalse();
  }

  @Test
  void willWithDelayIsPublishedAfterDisconnectWithWill() throws InterruptedException {
    String topic = "hive5/will/" + uniqueId("w");
    Mqtt5Publishes watcher = subscribed(topic, MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient c = client(uniqueId("will"));
    c.connectWith()
        .sessionExpiryInterval(30)
        .willPublish()
        .topic(topic)
        .payload(utf8("bye"))
        .qos(MqttQos.AT_LEAST_ONCE)
        .delayInterval(1)
        .applyWillPublish()
        .send();
    c.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();
    long gone = System.nanoTime();
    Mqtt5Publish will = next(watcher);
    assertThat(text(will.getPayloadAsBytes())).isEqualTo("bye");
    assertThat(System.nanoTime() - gone).as("after the will delay").isGreaterThan(800_000_000L);
  }

  @Test
  void sharedSubscriptionSplitsMessagesAndSkipsRetained() throws InterruptedException {
    String topic = "hive5/shared/" + uniqueId("s");
    Mqtt5BlockingClient pub = connected(uniqueId("pub"));
    pub.publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .payload(utf8("old"))
        .send();
    Mqtt5Publishes a = subscribed("$share/grp/" + topic, MqttQos.AT_LEAST_ONCE);
    Mqtt5Publishes b = subscribed("$share/grp/" + topic, MqttQos.AT_LEAST_ONCE);
    for (int i = 0; i < 6; i++) {
      pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(utf8("m" + i)).send();
    }
    List<String> got = new ArrayList<>();
    int fromA = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (got.size() < 6 && System.nanoTime() < deadline) {
      Optional<Mqtt5Publish> p = a.receive(50, TimeUnit.MILLISECONDS);
      if (p.isPresent()) {
        got.add(text(p.get().getPayloadAsBytes()));
        fromA++;
      }
      b.receive(50, TimeUnit.MILLISECONDS).ifPresent(q -> got.add(text(q.getPayloadAsBytes())));
    }
    assertThat(a.receive(300, TimeUnit.MILLISECONDS)).isEmpty();
    assertThat(b.receive(1, TimeUnit.MILLISECONDS)).isEmpty();
    // Section 4.8.2: each message once in the group, spread over members, no retained message.
    assertThat(got).containsExactlyInAnyOrder("m0", "m1", "m2", "m3", "m4", "m5");
    assertThat(fromA).isBetween(1, 5);
    pub.publishWith().topic(topic).retain(true).payload(new byte[0]).send();
  }

  @Test
  void overlappingSubscriptionsWithIdentifiersReachTheirCallbacks() throws InterruptedException {
    // The HiveMQ client uses subscription identifiers to pick the callbacks of a message.
    String root = "hive5/subid/" + uniqueId("s");
    Mqtt5BlockingClient c = connected(uniqueId("subid"));
    BlockingQueue<String> wide = new LinkedBlockingQueue<>();
    BlockingQueue<String> narrow = new LinkedBlockingQueue<>();
    c.toAsync()
        .subscribeWith()
        .topicFilter(root + "/+")
        .qos(MqttQos.AT_LEAST_ONCE)
        .callback(p -> wide.add(p.getTopic().toString()))
        .send()
        .join();
    c.toAsync()
        .subscribeWith()
        .topicFilter(root + "/b")
        .qos(MqttQos.AT_LEAST_ONCE)
        .callback(p -> narrow.add(p.getTopic().toString()))
        .send()
        .join();
    Mqtt5BlockingClient pub = connected(uniqueId("pub"));
    pub.publishWith().topic(root + "/a").qos(MqttQos.AT_LEAST_ONCE).payload(utf8("a")).send();
    pub.publishWith().topic(root + "/b").qos(MqttQos.AT_LEAST_ONCE).payload(utf8("b")).send();
    Set<String> wideGot = new HashSet<>();
    wideGot.add(wide.poll(5, TimeUnit.SECONDS));
    wideGot.add(wide.poll(5, TimeUnit.SECONDS));
    assertThat(wideGot).containsExactlyInAnyOrder(root + "/a", root + "/b");
    assertThat(narrow.poll(5, TimeUnit.SECONDS)).isEqualTo(root + "/b");
    assertThat(narrow.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void topicAliasesBothWays() throws InterruptedException {
    String topic = "hive5/alias/" + uniqueId("a");
    Mqtt5BlockingClient sub = client(uniqueId("alias-sub"));
    Mqtt5Publishes received = publishes(sub);
    sub.connectWith().restrictions().topicAliasMaximum(4).applyRestrictions().send();
    sub.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = client(uniqueId("alias-pub"));
    pub.connectWith().restrictions().sendTopicAliasMaximum(4).applyRestrictions().send();
    for (int i = 0; i < 4; i++) {
      pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(utf8("m" + i)).send();
    }
    // The HiveMQ client resolves the broker's aliases: every message has its topic.
    for (int i = 0; i < 4; i++) {
      Mqtt5Publish p = next(received);
      assertThat(p.getTopic().toString()).isEqualTo(topic);
      assertThat(text(p.getPayloadAsBytes())).isEqualTo("m" + i);
    }
  }

  @Test
  void receiveMaximumHoldsBackDeliveriesUntilAcknowledged() throws InterruptedException {
    String topic = "hive5/flow/" + uniqueId("f");
    Mqtt5BlockingClient sub = client(uniqueId("flow"));
    Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL, true);
    streams.add(received);
    sub.connectWith().restrictions().receiveMaximum(2).applyRestrictions().send();
    sub.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = connected(uniqueId("pub"));
    for (int i = 0; i < 4; i++) {
      pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(utf8("m" + i)).send();
    }
    // [MQTT-3.3.4-9]
    Mqtt5Publish first = next(received);
    next(received);
    assertThat(received.receive(500, TimeUnit.MILLISECONDS)).isEmpty();
    first.acknowledge();
    assertThat(text(next(received).getPayloadAsBytes())).isEqualTo("m2");
  }

  @Test
  void subscriptionOptionsNoLocalAndRetainHandling() throws InterruptedException {
    String topic = "hive5/opts/" + uniqueId("o");
    Mqtt5BlockingClient c = client(uniqueId("opts"));
    Mqtt5Publishes received = publishes(c);
    c.connect();
    c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).retain(true).payload(utf8("r")).send();
    c.subscribeWith()
        .topicFilter(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .noLocal(true)
        .retainHandling(Mqtt5RetainHandling.DO_NOT_SEND)
        .send();
    c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(utf8("own")).send();
    connected(uniqueId("pub"))
        .publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(utf8("other"))
        .send();
    // [MQTT-3.3.1-11] [MQTT-3.8.3-3]: neither the retained message nor its own.
    assertThat(text(next(received).getPayloadAsBytes())).isEqualTo("other");
    assertThat(received.receive(300, TimeUnit.MILLISECONDS)).isEmpty();
    c.publishWith().topic(topic).retain(true).payload(new byte[0]).send();
  }

  @Test
  void reasonCodesOnAcknowledgementsAndTakeover() throws InterruptedException {
    Mqtt5BlockingClient pub = connected(uniqueId("rc"));
    Mqtt5PublishResult r =
        pub.publishWith()
            .topic("hive5/nobody/" + uniqueId("n"))
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(utf8("x"))
            .send();
    assertThat(((Mqtt5PublishResult.Mqtt5Qos1Result) r).getPubAck().getReasonCode())
        .isEqualTo(Mqtt5PubAckReasonCode.NO_MATCHING_SUBSCRIBERS);
    assertThat(pub.unsubscribeWith().topicFilter("hive5/never").send().getReasonCodes())
        .containsExactly(Mqtt5UnsubAckReasonCode.NO_SUBSCRIPTIONS_EXISTED);

    String id = uniqueId("taken");
    BlockingQueue<Throwable> causes = new LinkedBlockingQueue<>();
    Mqtt5BlockingClient first =
        Mqtt5Client.builder()
            .identifier(id)
            .serverHost("127.0.0.1")
            .serverPort(broker.port())
            .addDisconnectedListener(ctx -> causes.add(ctx.getCause()))
            .buildBlocking();
    clients.add(first);
    first.connect();
    connected(id);
    Throwable cause = causes.poll(5, TimeUnit.SECONDS);
    // [MQTT-3.1.4-3]
    assertThat(cause).isInstanceOf(Mqtt5DisconnectException.class);
    assertThat(((Mqtt5DisconnectException) cause).getMqttMessage().getReasonCode())
        .isEqualTo(Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private Mqtt5BlockingClient client(String id) {
    Mqtt5BlockingClient c =
        Mqtt5Client.builder()
            .identifier(id)
            .serverHost("127.0.0.1")
            .serverPort(broker.port())
            .buildBlocking();
    clients.add(c);
    return c;
  }

  private Mqtt5BlockingClient connected(String id) {
    Mqtt5BlockingClient c = client(id);
    c.connect();
    return c;
  }

  private Mqtt5Publishes publishes(Mqtt5BlockingClient c) {
    Mqtt5Publishes p = c.publishes(MqttGlobalPublishFilter.ALL);
    streams.add(p);
    return p;
  }

  private Mqtt5Publishes subscribed(String filter, MqttQos qos) {
    Mqtt5BlockingClient c = client(uniqueId("sub"));
    Mqtt5Publishes p = publishes(c);
    c.connect();
    c.subscribeWith().topicFilter(filter).qos(qos).send();
    return p;
  }

  private static Mqtt5Publish next(Mqtt5Publishes publishes) throws InterruptedException {
    Optional<Mqtt5Publish> p = publishes.receive(5, TimeUnit.SECONDS);
    assertThat(p).as("a message within 5 s").isPresent();
    return p.get();
  }
}
