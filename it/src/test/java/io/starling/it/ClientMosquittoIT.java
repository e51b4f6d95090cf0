package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.starling.client.ConnectResult;
import io.starling.client.Message;
import io.starling.client.MqttClient;
import io.starling.client.MqttClientBuilder;
import io.starling.client.MqttClientException;
import io.starling.client.Transport;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.UserProperty;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Our client against Mosquitto (Debian's package): MQTT 3.1.1 and 5.0, TLS with client
 * certificates, WebSocket, password refusal, and the 5.0 features our broker does not speak yet.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientMosquittoIT {
  private static TestCerts certs;
  private static Mosquitto mosquitto;
  private final List<MqttClient> clients = new ArrayList<>();

  @BeforeAll
  static void startMosquitto() throws Exception {
    certs = TestCerts.generate();
    mosquitto = Mosquitto.builder().webSocket().tls(certs).start();
  }

  @AfterAll
  static void stopMosquitto() {
    if (mosquitto != null) {
      mosquitto.close();
    }
  }

  @AfterEach
  void closeClients() {
    clients.forEach(MqttClient::close);
  }

  private MqttClient connected(MqttClientBuilder b) {
    MqttClient c = b.build();
    clients.add(c);
    c.connect().join();
    return c;
  }

  private static MqttClientBuilder to(int port, MqttVersion v) {
    return MqttClient.builder()
        .host("127.0.0.1")
        .port(port)
        .version(v)
        .clientId(ItSupport.uniqueId("c"))
        .automaticReconnect(Duration.ofMillis(20), Duration.ofMillis(300));
  }

  private static MqttClientBuilder to(MqttVersion v) {
    return to(mosquitto.port, v);
  }

  @ParameterizedTest
  @EnumSource(names = {"V3_1_1", "V5"})
  void roundTripsAtEveryQos(MqttVersion v) {
    List<Message> got = new CopyOnWriteArrayList<>();
    MqttClient sub = connected(to(v));
    sub.subscribe("rt/" + v + "/#", QoS.EXACTLY_ONCE, got::add).join();
    MqttClient pub = connected(to(v));
    for (QoS q : QoS.values()) {
      pub.publish("rt/" + v + "/" + q.value(), "m" + q.value(), q).join();
    }
    await().until(() -> got.size() == 3);
    assertThat(got).extracting(Message::qos).containsExactly(QoS.values());
    assertThat(got).extracting(Message::payloadAsString).containsExactly("m0", "m1", "m2");
  }

  @Test
  void carriesMqtt5Properties() {
    List<Message> got = new CopyOnWriteArrayList<>();
    MqttClient sub = connected(to(MqttVersion.V5));
    sub.subscribe("props", QoS.AT_LEAST_ONCE, got::add).join();
    MqttClient pub = connected(to(MqttVersion.V5));
    pub.publish(
            Message.builder("props")
                .payload("{}")
                .qos(1)
                .userProperty("k", "v1")
                .userProperty("k", "v2")
                .messageExpirySeconds(3600)
                .contentType("application/json")
                .payloadUtf8(true)
                .responseTopic("answers")
                .correlationData(new byte[] {1, 2, 3})
                .build())
        .join();
    await().until(() -> got.size() == 1);
    Message m = got.get(0);
    assertThat(m.userProperties())
        .containsExactly(new UserProperty("k", "v1"), new UserProperty("k", "v2"));
    assertThat(m.messageExpirySeconds()).isBetween(3590L, 3600L);
    assertThat(m.contentType()).isEqualTo("application/json");
    assertThat(m.payloadUtf8()).isTrue();
    assertThat(m.responseTopic()).isEqualTo("answers");
    assertThat(m.correlationData()).containsExactly(1, 2, 3);
  }

  @Test
  void requestGetsTheResponseWithTheSameCorrelationData() {
    MqttClient service = connected(to(MqttVersion.V5));
    service
        .subscribe(
            "svc/upper",
            QoS.AT_LEAST_ONCE,
            req ->
                service.publish(
                    req.replyBuilder().payload(req.payloadAsString().toUpperCase()).build()))
        .join();
    MqttClient caller = connected(to(MqttVersion.V5));
    List<CompletableFuture<Message>> answers = new ArrayList<>();
    for (String word : List.of("one", "two", "three")) {
      answers.add(
          caller.request(
              Message.builder("svc/upper").payload(word).qos(1).build(), Duration.ofSeconds(10)));
    }
    assertThat(answers)
        .extracting(f -> f.join().payloadAsString())
        .containsExactly("ONE", "TWO", "THREE");
  }

  @Test
  void topicAliasesStandInForRepeatedTopics() {
    MqttClient pub =
        MqttClient.builder().host("127.0.0.1").port(mosquitto.port).version(MqttVersion.V5).build();
    clients.add(pub);
    ConnectResult r = pub.connect().join();
    assertThat(r.properties().intValue(PropertyId.TOPIC_ALIAS_MAXIMUM)).isPresent();
    assertThat(r.clientId()).as("assigned by the broker").isNotEmpty();
    List<Message> got = new CopyOnWriteArrayList<>();
    MqttClient sub = connected(to(MqttVersion.V5));
    sub.subscribe("alias/#", QoS.AT_LEAST_ONCE, got::add).join();
    for (int i = 0; i < 30; i++) {
      // 15 topics, each sent twice: the second time as an alias with an empty topic
      pub.publish("alias/topic-" + (i % 15), "x" + i, QoS.AT_LEAST_ONCE).join();
    }
    await().until(() -> got.size() == 30);
    for (int i = 0; i < 30; i++) {
      assertThat(got.get(i).topic()).isEqualTo("alias/topic-" + (i % 15));
    }
  }

  @Test
  void sharedSubscriptionSpreadsMessagesOverTheGroup() {
    List<Message> a = new CopyOnWriteArrayList<>();
    List<Message> b = new CopyOnWriteArrayList<>();
    connected(to(MqttVersion.V5)).subscribe("$share/g/jobs/+", QoS.AT_LEAST_ONCE, a::add).join();
    connected(to(MqttVersion.V5)).subscribe("$share/g/jobs/+", QoS.AT_LEAST_ONCE, b::add).join();
    MqttClient pub = connected(to(MqttVersion.V5));
    for (int i = 0; i < 20; i++) {
      pub.publish("jobs/" + i, "j", QoS.AT_LEAST_ONCE).join();
    }
    await().until(() -> a.size() + b.size() == 20);
    assertThat(a).isNotEmpty();
    assertThat(b).isNotEmpty();
  }

  @Test
  void manyQos2MessagesRespectTheInFlightWindow() {
    List<Message> got = new CopyOnWriteArrayList<>();
    connected(to(MqttVersion.V5)).subscribe("window", QoS.EXACTLY_ONCE, got::add).join();
    MqttClient pub = connected(to(MqttVersion.V5).maxInflight(5));
    List<CompletableFuture<ReasonCode>> acks = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      acks.add(pub.publish("window", Integer.toString(i), QoS.EXACTLY_ONCE));
    }
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).join();
    await().until(() -> got.size() == 500);
    assertThat(got.get(499).payloadAsString()).isEqualTo("499");
  }

  @ParameterizedTest
  @EnumSource(names = {"V3_1_1", "V5"})
  void tlsWithAClientCertificate(MqttVersion v) {
    List<Message> got = new CopyOnWriteArrayList<>();
    MqttClient c =
        connected(to(mosquitto.tlsPort, v).tls(certs.ca(), certs.clientCert(), certs.clientKey()));
    c.subscribe("tls", QoS.AT_LEAST_ONCE, got::add).join();
    c.publish("tls", "secret", QoS.AT_LEAST_ONCE).join();
    await().until(() -> got.size() == 1);
    assertThat(got.get(0).payloadAsString()).isEqualTo("secret");
  }

  @Test
  void tlsRefusesABrokerWeDoNotTrust() throws Exception {
    TestCerts other = TestCerts.generate();
    MqttClient c =
        to(mosquitto.tlsPort, MqttVersion.V5)
            .tls(other.ca(), certs.clientCert(), certs.clientKey())
            .build();
    clients.add(c);
    assertThatThrownBy(() -> c.connect().join())
        .isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(MqttClientException.class);
  }

  @ParameterizedTest
  @EnumSource(names = {"V3_1_1", "V5"})
  void overWebSocket(MqttVersion v) {
    List<Message> got = new CopyOnWriteArrayList<>();
    MqttClient c = connected(to(mosquitto.webSocketPort, v).transport(Transport.WEBSOCKET));
    c.subscribe("ws/#", QoS.EXACTLY_ONCE, got::add).join();
    byte[] big = new byte[200_000]; // spans many WebSocket frames and TCP reads
    big[199_999] = 42;
    c.publish(Message.builder("ws/big").payload(big).qos(2).build()).join();
    await().until(() -> got.size() == 1);
    assertThat(got.get(0).payload()).isEqualTo(big);
  }

  @Test
  void overSecureWebSocket() {
    List<Message> got = new CopyOnWriteArrayList<>();
    MqttClient c =
        connected(
            to(mosquitto.webSocketTlsPort, MqttVersion.V5)
                .transport(Transport.WEBSOCKET)
                .tls(certs.ca(), null, null));
    c.subscribe("wss", QoS.AT_LEAST_ONCE, got::add).join();
    c.publish("wss", "both", QoS.AT_LEAST_ONCE).join();
    await().until(() -> got.size() == 1);
    assertThat(got.get(0).payloadAsString()).isEqualTo("both");
  }

  @Test
  void flowPublisherHonoursDemand() {
    MqttClient c = connected(to(MqttVersion.V5));
    List<String> got = new CopyOnWriteArrayList<>();
    CompletableFuture<Flow.Subscription> subscription = new CompletableFuture<>();
    c.publisher("flow/#", QoS.AT_LEAST_ONCE, 16)
        .subscribe(
            new Flow.Subscriber<Message>() {
              @Override
              public void onSubscribe(Flow.Subscription s) {
                subscription.complete(s);
                s.request(2);
              }

              @Override
              public void onNext(Message m) {
                got.add(m.payloadAsString());
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onComplete() {}
            });
    MqttClient pub = connected(to(MqttVersion.V5));
    // The subscription is made asynchronously: publish until the first message arrives.
    await()
        .until(
            () -> {
              pub.publish("flow/x", "first", QoS.AT_LEAST_ONCE).join();
              return !got.isEmpty();
            });
    for (int i = 0; i < 5; i++) {
      pub.publish("flow/x", "m" + i, QoS.AT_LEAST_ONCE).join();
    }
    await().until(() -> got.size() == 2);
    subscription.join().request(100);
    await().until(() -> got.contains("m4"));
  }

  @Test
  void resubscribesWhenTheBrokerLostTheSession() throws Exception {
    List<Message> got = new CopyOnWriteArrayList<>();
    try (Mosquitto own = Mosquitto.builder().start()) {
      MqttClient sub = connected(to(own.port, MqttVersion.V3_1_1));
      sub.subscribe("again", QoS.AT_LEAST_ONCE, got::add).join();
      own.restart(); // no persistence: the broker forgets every session
      await().until(sub::isConnected);
      MqttClient pub = connected(to(own.port, MqttVersion.V3_1_1));
      await()
          .until(
              () -> {
                pub.publish("again", "back", QoS.AT_LEAST_ONCE).join();
                return !got.isEmpty();
              });
      assertThat(got.get(0).payloadAsString()).isEqualTo("back");
      clients.forEach(MqttClient::close);
      clients.clear();
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"V3_1_1", "V5"})
  void refusedCredentialsCarryTheReasonCode(MqttVersion v) throws Exception {
    try (Mosquitto locked = Mosquitto.builder().password("alice", "right").start()) {
      MqttClient ok = connected(to(locked.port, v).credentials("alice", "right"));
      assertThat(ok.isConnected()).isTrue();
      MqttClient bad = to(locked.port, v).credentials("alice", "wrong").build();
      clients.add(bad);
      assertThatThrownBy(() -> bad.connect().join())
          .cause()
          .isInstanceOfSatisfying(
              MqttClientException.class,
              e -> {
                assertThat(e.reasonCode())
                    .isIn(ReasonCode.BAD_USER_NAME_OR_PASSWORD, ReasonCode.NOT_AUTHORIZED);
                assertThat(e.getMessage()).startsWith("connection refused");
              });
      clients.forEach(MqttClient::close);
      clients.clear();
    }
  }

  @Test
  void theWillIsPublishedWhenTheConnectionDies() throws Exception {
    List<Message> got = new CopyOnWriteArrayList<>();
    connected(to(MqttVersion.V5)).subscribe("wills/#", QoS.AT_LEAST_ONCE, got::add).join();
    try (TcpProxy proxy = new TcpProxy(mosquitto.port)) {
      connected(
          to(proxy.port(), MqttVersion.V5)
              .noAutomaticReconnect()
              .will(
                  Message.builder("wills/me")
                      .payload("gone".getBytes(StandardCharsets.UTF_8))
                      .qos(1)
                      .userProperty("why", "test")
                      .build()));
      proxy.dropAll();
      await().until(() -> got.size() == 1);
    }
    assertThat(got.get(0).payloadAsString()).isEqualTo("gone");
    assertThat(got.get(0).userProperty("why")).isEqualTo("test");
  }
}
