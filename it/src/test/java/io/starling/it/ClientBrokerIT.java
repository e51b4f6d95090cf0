package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.starling.broker.Broker;
import io.starling.client.BlockingMqttClient;
import io.starling.client.ConnectResult;
import io.starling.client.Message;
import io.starling.client.MqttClient;
import io.starling.client.MqttClientException;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.testkit.TestBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Our client (MQTT 3.1.1) against our broker, in process. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientBrokerIT {
  private Broker broker;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void start() {
    broker = TestBroker.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    broker.close();
  }

  private MqttClient client(String id, int port) {
    MqttClient c =
        MqttClient.builder()
            .host("127.0.0.1")
            .port(port)
            .clientId(ItSupport.uniqueId(id))
            .automaticReconnect(Duration.ofMillis(20), Duration.ofMillis(200))
            .build();
    toClose.add(c);
    return c;
  }

  @Test
  void publishesAndReceivesAtEveryQos() {
    MqttClient sub = client("sub", broker.port());
    MqttClient pub = client("pub", broker.port());
    List<Message> got = new CopyOnWriteArrayList<>();
    sub.connect().join();
    assertThat(sub.subscribe("a/#", QoS.EXACTLY_ONCE, got::add).join())
        .containsExactly(ReasonCode.GRANTED_QOS_2);
    pub.connect().join();
    for (QoS q : QoS.values()) {
      assertThat(pub.publish("a/" + q.value(), "m" + q.value(), q).join())
          .isEqualTo(ReasonCode.SUCCESS);
    }
    await().until(() -> got.size() == 3);
    assertThat(got).extracting(Message::topic).containsExactly("a/0", "a/1", "a/2");
    assertThat(got).extracting(Message::qos).containsExactly(QoS.values());
    assertThat(got).extracting(Message::payloadAsString).containsExactly("m0", "m1", "m2");
  }

  @Test
  void retainedMessagesReachNewSubscribersAndUnsubscribeStopsDelivery() throws Exception {
    try (BlockingMqttClient c =
        new BlockingMqttClient(client("blocking", broker.port()), Duration.ofSeconds(10))) {
      c.connect();
      c.publish(Message.builder("r/1").payload("kept").qos(1).retain(true).build());
      c.subscribe("r/+", QoS.AT_LEAST_ONCE);
      Message m = c.receive(Duration.ofSeconds(10));
      assertThat(m.payloadAsString()).isEqualTo("kept");
      assertThat(m.retain()).isTrue();
      c.unsubscribe("r/+");
      c.publish("r/1", "after", QoS.AT_LEAST_ONCE);
      c.subscribe("other", QoS.AT_LEAST_ONCE);
      c.publish("other", "marker", QoS.AT_LEAST_ONCE);
      // The marker comes after anything r/1 would have delivered: nothing from r/+ in between.
      assertThat(c.receive(Duration.ofSeconds(10)).topic()).isEqualTo("other");
    }
  }

  @Test
  void aPersistentSessionGetsWhatWasPublishedWhileAway() {
    String id = ItSupport.uniqueId("persistent");
    List<Message> got = new CopyOnWriteArrayList<>();
    MqttClient sub =
        MqttClient.builder()
            .port(broker.port())
            .host("127.0.0.1")
            .clientId(id)
            .cleanStart(false)
            .build();
    toClose.add(sub);
    sub.connect().join();
    sub.subscribe("away/#", QoS.AT_LEAST_ONCE, got::add).join();
    sub.disconnect().join();
    MqttClient pub = client("pub", broker.port());
    pub.connect().join();
    pub.publish("away/x", "while away", QoS.AT_LEAST_ONCE).join();
    ConnectResult again = sub.connect().join();
    assertThat(again.sessionPresent()).isTrue();
    await().until(() -> got.size() == 1);
    assertThat(got.get(0).payloadAsString()).isEqualTo("while away");
  }

  /** Subscribed before connecting: one SUBSCRIBE goes out, so the retained message comes once. */
  @Test
  void subscribingBeforeConnectingGetsTheRetainedMessageOnce() {
    MqttClient pub = client("pub", broker.port());
    pub.connect().join();
    pub.publish(Message.builder("early/r").payload("kept").qos(1).retain(true).build()).join();
    List<Message> got = new CopyOnWriteArrayList<>();
    MqttClient sub = client("early", broker.port());
    CompletableFuture<List<ReasonCode>> granted =
        sub.subscribe("early/#", QoS.AT_LEAST_ONCE, got::add);
    sub.connect().join();
    assertThat(granted.join()).containsExactly(ReasonCode.GRANTED_QOS_1);
    pub.publish("early/marker", "m", QoS.AT_LEAST_ONCE).join();
    await().until(() -> got.stream().anyMatch(m -> m.topic().equals("early/marker")));
    assertThat(got).extracting(Message::topic).containsExactly("early/r", "early/marker");
  }

  @Test
  void aBadHostFailsTheFirstConnectWithAClearMessage() throws Exception {
    int closedPort = Mosquitto.freePort();
    MqttClient c = client("nobody", closedPort);
    assertThatThrownBy(() -> c.connect().join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(MqttClientException.class)
        .hasMessageContaining("cannot connect to 127.0.0.1:" + closedPort);
  }

  @Test
  void aFullOfflineBufferRefusesMoreMessages() {
    MqttClient c =
        MqttClient.builder().port(broker.port()).host("127.0.0.1").offlineBufferMessages(2).build();
    toClose.add(c);
    CompletableFuture<ReasonCode> one = c.publish("t", "1", QoS.AT_LEAST_ONCE);
    CompletableFuture<ReasonCode> two = c.publish("t", "2", QoS.AT_LEAST_ONCE);
    assertThatThrownBy(() -> c.publish("t", "3", QoS.AT_LEAST_ONCE).join())
        .hasCauseInstanceOf(MqttClientException.class)
        .hasMessageContaining("offline buffer full");
    c.connect().join();
    assertThat(one.join()).isEqualTo(ReasonCode.SUCCESS);
    assertThat(two.join()).isEqualTo(ReasonCode.SUCCESS);
  }

  /**
   * The publisher's connection is cut again and again (from the broker's side of a relay) while it
   * publishes 2,000 QoS 1 messages: the subscriber gets every one, first copies in order.
   */
  @Test
  void reconnectWhilePublishingAtQos1LosesNothingAndKeepsOrder() throws Exception {
    int total = 2_000;
    List<Integer> got = new CopyOnWriteArrayList<>();
    MqttClient sub = client("sub", broker.port());
    sub.connect().join();
    sub.subscribe("seq", QoS.AT_LEAST_ONCE, m -> got.add(Integer.parseInt(m.payloadAsString())))
        .join();
    try (TcpProxy proxy = new TcpProxy(broker.port())) {
      MqttClient pub =
          MqttClient.builder()
              .host("127.0.0.1")
              .port(proxy.port())
              .clientId(ItSupport.uniqueId("pub"))
              .cleanStart(false)
              .maxInflight(20)
              .automaticReconnect(Duration.ofMillis(10), Duration.ofMillis(100))
              .build();
      toClose.add(pub);
      pub.connect().join();
      List<CompletableFuture<ReasonCode>> acks = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        acks.add(pub.publish("seq", Integer.toString(i), QoS.AT_LEAST_ONCE));
        if (i % 250 == 125) {
          int before = proxy.accepted();
          proxy.dropAll();
          await().until(() -> proxy.accepted() > before); // it came back by itself
        }
      }
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      assertThat(proxy.accepted()).isGreaterThanOrEqualTo(9);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> new LinkedHashSet<>(got).size() == total);
    List<Integer> firstCopies = new ArrayList<>(new LinkedHashSet<>(got));
    assertThat(firstCopies)
        .isEqualTo(IntStream.range(0, total).boxed().collect(Collectors.toList()));
  }
}
