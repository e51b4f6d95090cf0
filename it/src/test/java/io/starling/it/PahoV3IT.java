package io.starling.it;

import static io.starling.it.ItSupport.options;
import static io.starling.it.ItSupport.paho;
import static io.starling.it.ItSupport.text;
import static io.starling.it.ItSupport.uniqueId;
import static io.starling.it.ItSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The broker's MQTT 3.1 and 3.1.1 behaviour, driven by Eclipse Paho and raw sockets. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PahoV3IT {
  private static Broker broker;
  private static int port;
  private final List<MqttClient> clients = new ArrayList<>();

  @BeforeAll
  static void startBroker() {
    broker = TestBroker.start();
    port = broker.port();
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @AfterEach
  void closeClients() {
    for (MqttClient c : clients) {
      try {
        if (c.isConnected()) {
          c.disconnect(0);
        }
        c.close(true);
      } catch (MqttException e) {
        // already gone
      }
    }
  }

  /** A connected Paho client that collects what it receives. */
  private Received connect(String clientId, MqttConnectOptions options) throws MqttException {
    MqttClient c = paho(port, clientId);
    Received r = new Received(c);
    c.setCallback(r);
    r.token = c.connectWithResult(options);
    clients.add(c);
    return r;
  }

  private Received connect(String prefix) throws MqttException {
    return connect(uniqueId(prefix), options(true));
  }

  static final class Received implements MqttCallback {
    final MqttClient client;
    final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
    final AtomicBoolean lost = new AtomicBoolean();
    IMqttToken token;

    Received(MqttClient client) {
      this.client = client;
    }

    Message next() throws InterruptedException {
      Message m = messages.poll(10, TimeUnit.SECONDS);
      assertThat(m).as("a message within 10 s").isNotNull();
      return m;
    }

    @Override
    public void connectionLost(Throwable cause) {
      lost.set(true);
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      messages.add(
          new Message(topic, text(message.getPayload()), message.getQos(), message.isRetained()));
    }

    @Override
    public void deliveryComplete(IMqttDeliveryToken token) {}
  }

  record Message(String topic, String payload, int qos, boolean retained) {}

  @ParameterizedTest(name = "QoS {0}")
  @ValueSource(ints = {0, 1, 2})
  void roundTripAtEachQos(int qos) throws Exception {
    Received sub = connect("sub");
    sub.client.subscribe("rt/" + qos, qos);
    Received pub = connect("pub");
    pub.client.publish("rt/" + qos, utf8("hello " + qos), qos, false);
    Message m = sub.next();
    assertThat(m).isEqualTo(new Message("rt/" + qos, "hello " + qos, qos, false));
  }

  @Test
  void deliveryQosIsTheMinimumOfPublishAndGranted() throws Exception {
    Received sub = connect("sub");
    sub.client.subscribe("min/q", 1);
    Received pub = connect("pub");
    pub.client.publish("min/q", utf8("two"), 2, false);
    assertThat(sub.next().qos()).isEqualTo(1);
    pub.client.publish("min/q", utf8("zero"), 0, false);
    assertThat(sub.next().qos()).isEqualTo(0);
  }

  @Test
  void wildcardsMatchAsSpecified() throws Exception {
    Received sub = connect("sub");
    sub.client.subscribe(new String[] {"w/+/c", "h/#"}, new int[] {0, 0});
    Received pub = connect("pub");
    for (String topic : List.of("w/b/c", "w/b/c/d", "w/c", "h", "h/x/y", "hh")) {
      pub.client.publish(topic, utf8(topic), 0, false);
    }
    pub.client.publish("end", utf8("end"), 0, false);
    sub.client.subscribe("end", 0);
    pub.client.publish("end", utf8("end"), 0, false);
    List<String> got = new ArrayList<>();
    for (Message m = sub.next(); !m.topic().equals("end"); m = sub.next()) {
      got.add(m.topic());
    }
    // '#' also matches the parent level [MQTT-4.7.1-2]; '+' exactly one level.
    assertThat(got).containsExactly("w/b/c", "h", "h/x/y");
  }

  @Test
  void overlappingSubscriptionsDeliverOnceAtTheHighestQos() throws Exception {
    Received sub = connect("sub");
    sub.client.subscribe(new String[] {"ov/#", "ov/+", "ov/a"}, new int[] {0, 2, 1});
    Received pub = connect("pub");
    pub.client.publish("ov/a", utf8("once"), 2, false);
    // The marker goes at QoS 2 too: Paho hands QoS 2 messages over on PUBREL, so only messages
    // of the same QoS keep their order on the way to the application.
    pub.client.publish("ov/end", utf8("end"), 2, false);
    assertThat(sub.next()).isEqualTo(new Message("ov/a", "once", 2, false));
    assertThat(sub.next().topic()).isEqualTo("ov/end");
  }

  @Test
  void retainedMessagesReachNewSubscribersThroughWildcardsAndCanBeCleared() throws Exception {
    Received pub = connect("pub");
    pub.client.publish("ret/a/b", utf8("kept"), 1, true);
    pub.client.publish("ret/a/b", utf8("replaced"), 1, true);
    Received sub = connect("sub");
    sub.client.subscribe("ret/#", 1);
    // Retained flag set for a message sent because of a new subscription [MQTT-3.3.1-8].
    assertThat(sub.next()).isEqualTo(new Message("ret/a/b", "replaced", 1, true));
    // Established subscriptions get RETAIN 0 [MQTT-3.3.1-9].
    pub.client.publish("ret/a/b", utf8("live"), 1, true);
    assertThat(sub.next()).isEqualTo(new Message("ret/a/b", "live", 1, false));
    // An empty retained payload clears it [MQTT-3.3.1-10].
    pub.client.publish("ret/a/b", new byte[0], 1, true);
    sub.next();
    await().until(() -> retainedCount("ret/#") == 0);
    Received late = connect("late");
    late.client.subscribe(new String[] {"ret/#", "ret-end"}, new int[] {1, 1});
    pub.client.publish("ret-end", utf8("end"), 1, false);
    assertThat(late.next().topic()).isEqualTo("ret-end");
  }

  private static int retainedCount(String filter) {
    int[] n = {0};
    broker.router().retained().match(filter, r -> n[0]++);
    return n[0];
  }

  @Test
  void persistentSessionQueuesWhileOfflineAndReportsSessionPresent() throws Exception {
    String id = uniqueId("persistent");
    Received first = connect(id, options(false));
    assertThat(first.token.getSessionPresent()).isFalse();
    first.client.subscribe("offline/t", 1);
    first.client.disconnect();
    Received pub = connect("pub");
    for (int i = 0; i < 20; i++) {
      pub.client.publish("offline/t", utf8("m" + i), 1, false);
    }
    await().until(() -> broker.stats().queuedMessages.get() >= 20);
    Received again = connect(id, options(false));
    assertThat(again.token.getSessionPresent()).isTrue();
    for (int i = 0; i < 20; i++) {
      assertThat(again.next().payload()).isEqualTo("m" + i);
    }
  }

  @Test
  void cleanSessionDiscardsTheOldSession() throws Exception {
    String id = uniqueId("clean");
    Received first = connect(id, options(false));
    first.client.subscribe("cs/t", 1);
    first.client.disconnect();
    Received again = connect(id, options(true));
    assertThat(again.token.getSessionPresent()).isFalse();
    again.client.disconnect();
    Received third = connect(id, options(false));
    assertThat(third.token.getSessionPresent()).isFalse();
  }

  @Test
  void aSecondConnectionWithTheSameClientIdTakesTheSessionOver() throws Exception {
    String id = uniqueId("takeover");
    Received first = connect(id, options(false));
    first.client.subscribe("to/t", 1);
    Received second = connect(id, options(false));
    // The old connection is closed [MQTT-3.1.4-2]; the session, subscriptions included, moves.
    await().untilTrue(first.lost);
    assertThat(second.token.getSessionPresent()).isTrue();
    Received pub = connect("pub");
    pub.client.publish("to/t", utf8("to the new one"), 1, false);
    assertThat(second.next().payload()).isEqualTo("to the new one");
  }

  @Test
  void willIsPublishedWhenTheSocketDies() throws Exception {
    Received watcher = connect("watcher");
    watcher.client.subscribe("will/died", 1);
    try (RawClient dying = RawClient.connect(port)) {
      dying.send(
          Packets.connect(
              MqttVersion.V3_1_1,
              uniqueId("dying"),
              true,
              60,
              Packets.will("will/died", "gone", QoS.AT_LEAST_ONCE, false)));
      assertThat(dying.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    } // closed abruptly, no DISCONNECT
    assertThat(watcher.next()).isEqualTo(new Message("will/died", "gone", 1, false));
  }

  @Test
  void willIsRetainedWhenAskedAndSentOnKeepAliveExpiry() throws Exception {
    RawClient silent = RawClient.connect(port);
    silent.send(
        Packets.connect(
            MqttVersion.V3_1_1,
            uniqueId("silent"),
            true,
            1,
            Packets.will("will/silent", "timed out", QoS.AT_MOST_ONCE, true)));
    silent.read(ConnAck.class);
    // Nothing sent for 1.5 x keep-alive: the broker closes and publishes the will [MQTT-3.1.2-24].
    assertThat(silent.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    Received late = connect("late");
    late.client.subscribe("will/silent", 0);
    assertThat(late.next()).isEqualTo(new Message("will/silent", "timed out", 0, true));
  }

  @Test
  void willIsNotPublishedAfterDisconnect() throws Exception {
    Received watcher = connect("watcher");
    watcher.client.subscribe("will/polite", 0);
    try (RawClient polite = RawClient.connect(port)) {
      polite.send(
          Packets.connect(
              MqttVersion.V3_1_1,
              uniqueId("polite"),
              true,
              60,
              Packets.will("will/polite", "should not appear", QoS.AT_MOST_ONCE, false)));
      polite.read(ConnAck.class);
      polite.send(Disconnect.NORMAL);
      assertThat(polite.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    }
    Received pub = connect("pub");
    pub.client.publish("will/polite", utf8("marker"), 0, false);
    // The will is discarded on DISCONNECT [MQTT-3.14.4-3]: the marker comes first and alone.
    assertThat(watcher.next().payload()).isEqualTo("marker");
  }

  @Test
  void unacknowledgedQos2MessageIsResentWithDupAfterReconnect() throws Exception {
    String id = uniqueId("qos2");
    Publish first;
    try (RawClient sub = RawClient.connect(port)) {
      sub.send(Packets.connect(id, false));
      sub.read(ConnAck.class);
      sub.send(Packets.subscribe(1, "q2/t", QoS.EXACTLY_ONCE));
      sub.read(SubAck.class);
      connect("pub").client.publish("q2/t", utf8("exactly once"), 2, false);
      first = sub.read(Publish.class);
      assertThat(first.qos()).isEqualTo(QoS.EXACTLY_ONCE);
      assertThat(first.dup()).isFalse();
      first.release();
    } // dropped without PUBREC
    try (RawClient sub = RawClient.connect(port)) {
      sub.send(Packets.connect(id, false));
      assertThat(sub.read(ConnAck.class).sessionPresent()).isTrue();
      Publish again = sub.read(Publish.class);
      // Resent with DUP and the same packet id [MQTT-4.4.0-1] [MQTT-3.3.1-1].
      assertThat(again.dup()).isTrue();
      assertThat(again.packetId()).isEqualTo(first.packetId());
      assertThat(Packets.text(again)).isEqualTo("exactly once");
      again.release();
      sub.send(PubRec.of(again.packetId()));
      assertThat(sub.read(PubRel.class).packetId()).isEqualTo(again.packetId());
      sub.send(PubComp.of(again.packetId()));
    }
    // After PUBREC the broker resends PUBREL, not the PUBLISH.
  }

  @Test
  void pubrelIsResentAfterReconnectOncePubrecWasReceived() throws Exception {
    String id = uniqueId("pubrel");
    int packetId;
    try (RawClient sub = RawClient.connect(port)) {
      sub.send(Packets.connect(id, false));
      sub.read(ConnAck.class);
      sub.send(Packets.subscribe(1, "q2r/t", QoS.EXACTLY_ONCE));
      sub.read(SubAck.class);
      connect("pub").client.publish("q2r/t", utf8("x"), 2, false);
      Publish p = sub.read(Publish.class);
      packetId = p.packetId();
      p.release();
      sub.send(PubRec.of(packetId));
      sub.read(PubRel.class);
    } // dropped without PUBCOMP
    try (RawClient sub = RawClient.connect(port)) {
      sub.send(Packets.connect(id, false));
      sub.read(ConnAck.class);
      assertThat(sub.read(PubRel.class).packetId()).isEqualTo(packetId);
      sub.send(PubComp.of(packetId));
    }
  }

  @Test
  void aResentQos2PublishIsNotForwardedTwice() throws Exception {
    Received sub = connect("sub");
    sub.client.subscribe("dup/t", 2);
    try (RawClient pub = RawClient.connect(port)) {
      pub.send(Packets.connect(uniqueId("rawpub"), true));
      pub.read(ConnAck.class);
      Publish p = Packets.publish("dup/t", "once", QoS.EXACTLY_ONCE, 7);
      pub.send(p.retain());
      assertThat(pub.read(PubRec.class).packetId()).isEqualTo(7);
      pub.send(p.withDelivery(QoS.EXACTLY_ONCE, false, true, 7)); // resent with DUP
      assertThat(pub.read(PubRec.class).packetId()).isEqualTo(7);
      p.release();
      pub.send(new PubRel(7, ReasonCode.SUCCESS, io.starling.codec.packet.Properties.EMPTY));
      assertThat(pub.read(PubComp.class).packetId()).isEqualTo(7);
      // The marker at QoS 2 as well, so that Paho hands both over in the order they were sent.
      pub.send(Packets.publish("dup/t", "marker", QoS.EXACTLY_ONCE, 8));
      pub.read(PubRec.class);
      pub.send(new PubRel(8, ReasonCode.SUCCESS, io.starling.codec.packet.Properties.EMPTY));
      pub.read(PubComp.class);
    }
    assertThat(sub.next().payload()).isEqualTo("once");
    assertThat(sub.next().payload()).isEqualTo("marker");
  }

  @Test
  void manyQos1MessagesArriveInOrder() throws Exception {
    Received sub = connect("sub");
    sub.client.subscribe("order/t", 1);
    Received pub = connect("pub");
    for (int i = 0; i < 500; i++) {
      pub.client.publish("order/t", utf8(Integer.toString(i)), 1, false);
    }
    for (int i = 0; i < 500; i++) {
      assertThat(sub.next().payload()).isEqualTo(Integer.toString(i));
    }
  }

  @Test
  void mqtt31ClientsWork() throws Exception {
    MqttConnectOptions o = options(true);
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1);
    Received sub = connect(uniqueId("v31"), o);
    sub.client.subscribe("v31/t", 2);
    Received pub = connect(uniqueId("v31p"), o);
    pub.client.publish("v31/t", utf8("old but gold"), 2, false);
    assertThat(sub.next()).isEqualTo(new Message("v31/t", "old but gold", 2, false));
  }

  @Test
  void sysTopicsArePublishedAndNotMatchedByLeadingWildcards() throws Exception {
    Received sys = connect("sys");
    sys.client.subscribe("$SYS/broker/version", 0);
    Message version = sys.next();
    assertThat(version.payload()).startsWith("starling ");
    assertThat(version.retained()).isTrue();
    Received all = connect("all");
    all.client.subscribe(new String[] {"#", "+/broker/version"}, new int[] {0, 0});
    // Wait for a fresh $SYS update (not the retained copy) published after that subscription.
    Received watcher = connect("watcher");
    watcher.client.subscribe("$SYS/broker/version", 0);
    assertThat(watcher.next().retained()).isTrue();
    assertThat(watcher.next().retained()).isFalse();
    Received pub = connect("pub");
    pub.client.publish("after/sys", utf8("marker"), 0, false);
    // [MQTT-4.7.2-1]: '#' and '+/...' do not match $SYS topics, so the marker comes first.
    assertThat(all.next().topic()).isEqualTo("after/sys");
  }

  @Test
  void clientsCannotPublishToDollarTopics() throws Exception {
    Received sub = connect("sub");
    sub.client.subscribe(new String[] {"$SYS/forged", "forge-end"}, new int[] {1, 1});
    long before = broker.stats().publishDroppedSys.sum();
    Received pub = connect("pub");
    pub.client.publish("$SYS/forged", utf8("forged"), 1, false); // acknowledged, dropped
    pub.client.publish("forge-end", utf8("end"), 1, false);
    assertThat(sub.next().topic()).isEqualTo("forge-end");
    assertThat(broker.stats().publishDroppedSys.sum()).isEqualTo(before + 1);
  }

  @Test
  void unsubscribeStopsDelivery() throws Exception {
    Received sub = connect("sub");
    sub.client.subscribe(new String[] {"un/a", "un/b"}, new int[] {1, 1});
    sub.client.unsubscribe("un/a");
    Received pub = connect("pub");
    pub.client.publish("un/a", utf8("gone"), 1, false);
    pub.client.publish("un/b", utf8("kept"), 1, false);
    assertThat(sub.next().payload()).isEqualTo("kept");
  }

  @Test
  void limitsGiveTheSpecifiedAnswers() throws Exception {
    BrokerConfig.Limits tight =
        BrokerConfig.Limits.builder()
            .maxConnections(2)
            .maxPacketSizeBytes(4096)
            .maxInflightMessages(2)
            .maxQueuedMessages(3)
            .maxTopicLevels(4)
            .build();
    try (Broker small = TestBroker.start(BrokerConfig.defaults().withLimits(tight))) {
      int p = small.port();
      List<RawClient> raws = new CopyOnWriteArrayList<>();
      try {
        // Maximum connections: the third gets "server unavailable" (3) and is closed.
        for (int i = 0; i < 2; i++) {
          RawClient c = RawClient.connect(p);
          raws.add(c);
          c.send(Packets.connect(uniqueId("lim"), true));
          assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
        }
        try (RawClient third = RawClient.connect(p)) {
          third.send(Packets.connect(uniqueId("lim"), true));
          ConnAck refused = third.read(ConnAck.class);
          assertThat(refused.reasonCode().v3ConnectReturnCode()).isEqualTo(3);
          assertThat(third.isClosedWithin(Duration.ofSeconds(5))).isTrue();
        }
        RawClient a = raws.get(0);
        // Topic levels: a filter of 5 levels is refused with 0x80 [MQTT-3.9.3-2].
        a.send(Packets.subscribe(1, "a/b/c/d/e", QoS.AT_LEAST_ONCE));
        assertThat(a.read(SubAck.class).reasonCodes())
            .containsExactly(ReasonCode.UNSPECIFIED_ERROR);
        // Packet size: an oversized packet closes that connection only.
        RawClient b = raws.get(1);
        b.send(Packets.publish("big", "x".repeat(5000), QoS.AT_MOST_ONCE, 0));
        assertThat(b.isClosedWithin(Duration.ofSeconds(5))).isTrue();
        a.send(io.starling.codec.packet.PingReq.INSTANCE);
        assertThat(a.read().type().name()).isEqualTo("PINGRESP");
      } finally {
        for (RawClient c : raws) {
          c.close();
        }
      }
    }
  }

  @Test
  void aFullQueueDropsNewMessagesAndCountsThem() throws Exception {
    BrokerConfig.Limits tight =
        BrokerConfig.Limits.builder()
            .maxConnections(100)
            .maxInflightMessages(2)
            .maxQueuedMessages(3)
            .maxTopicLevels(16)
            .build();
    try (Broker small = TestBroker.start(BrokerConfig.defaults().withLimits(tight))) {
      String id = uniqueId("queue");
      try (RawClient sub = RawClient.connect(small.port())) {
        sub.send(Packets.connect(id, false));
        sub.read(ConnAck.class);
        sub.send(Packets.subscribe(1, "qf", QoS.AT_LEAST_ONCE));
        sub.read(SubAck.class);
      }
      try (RawClient pub = RawClient.connect(small.port())) {
        pub.send(Packets.connect(uniqueId("qpub"), true));
        pub.read(ConnAck.class);
        for (int i = 1; i <= 5; i++) {
          pub.send(Packets.publish("qf", "m" + i, QoS.AT_LEAST_ONCE, i));
          pub.read(PubAck.class);
        }
      }
      await().until(() -> small.stats().queueOverflowDropped.sum() == 2);
      try (RawClient sub = RawClient.connect(small.port())) {
        sub.send(Packets.connect(id, false));
        assertThat(sub.read(ConnAck.class).sessionPresent()).isTrue();
        // In-flight window 2: two arrive, the third after an acknowledgement.
        Publish m1 = sub.read(Publish.class);
        Publish m2 = sub.read(Publish.class);
        assertThat(List.of(Packets.text(m1), Packets.text(m2))).containsExactly("m1", "m2");
        sub.send(PubAck.of(m1.packetId()));
        Publish m3 = sub.read(Publish.class);
        assertThat(Packets.text(m3)).isEqualTo("m3");
        m1.release();
        m2.release();
        m3.release();
      }
    }
  }
}
