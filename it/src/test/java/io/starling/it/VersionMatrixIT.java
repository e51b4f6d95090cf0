package io.starling.it;

import static io.starling.it.ItSupport.text;
import static io.starling.it.ItSupport.uniqueId;
import static io.starling.it.ItSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.starling.broker.Broker;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
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
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Clients of MQTT 3.1, 3.1.1 and 5.0 on one broker: every publisher version to every subscriber
 * version at every QoS, on raw sockets so that the exact delivered QoS, RETAIN flag and properties
 * are seen; then the same with real clients (Paho v3 and Paho v5).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class VersionMatrixIT {
  private static Broker broker;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeAll
  static void startBroker() {
    broker = TestBroker.start();
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  static Stream<Arguments> pairs() {
    List<Arguments> all = new ArrayList<>();
    for (MqttVersion pub : MqttVersion.values()) {
      for (MqttVersion sub : MqttVersion.values()) {
        for (QoS qos : QoS.values()) {
          all.add(Arguments.of(pub, sub, qos));
        }
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} -> {1} at {2}")
  @MethodSource("pairs")
  void retainedAndLiveMessagesCrossVersions(MqttVersion pubV, MqttVersion subV, QoS qos)
      throws IOException {
    String topic = "vm/" + uniqueId(pubV.name() + "-" + subV.name() + "-" + qos.value());
    RawClient pub = connect(pubV, "p");
    // A 5.0 publisher adds properties that only a 5.0 subscriber may see.
    Properties v5Props =
        pubV == MqttVersion.V5
            ? Properties.builder()
                .add(PropertyId.CONTENT_TYPE, "text/plain")
                .add(PropertyId.CORRELATION_DATA, BinaryData.of(new byte[] {9, 8}))
                .userProperty("k", "v")
                .build()
            : Properties.EMPTY;
    publish(pub, topic, "retained", qos, true, 1, v5Props);

    RawClient sub = connect(subV, "s");
    sub.send(Packets.subscribe(1, topic, QoS.EXACTLY_ONCE));
    assertThat(sub.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.GRANTED_QOS_2);

    // The retained message, with RETAIN 1 [MQTT-3.3.1-6] [MQTT-3.3.1-9].
    Publish r = receive(sub);
    assertDelivered(r, topic, "retained", qos, true, subV, v5Props);

    publish(pub, topic, "live", qos, false, 2, v5Props);
    Publish l = receive(sub);
    assertDelivered(l, topic, "live", qos, false, subV, v5Props);

    // Clear the retained message so that the broker stays empty.
    publish(pub, topic, "", QoS.AT_MOST_ONCE, true, 0, Properties.EMPTY);
  }

  private static void assertDelivered(
      Publish p,
      String topic,
      String payload,
      QoS qos,
      boolean retain,
      MqttVersion subV,
      Properties v5Props) {
    assertThat(p.topic()).isEqualTo(topic);
    assertThat(Packets.text(p)).isEqualTo(payload);
    assertThat(p.qos()).isEqualTo(qos); // granted 2, so delivered at the published QoS
    assertThat(p.retained()).isEqualTo(retain);
    if (subV == MqttVersion.V5) {
      // Passed through unchanged to a 5.0 subscriber, nothing added [MQTT-3.3.2-17]
      // [MQTT-3.3.2-18]; from an older publisher there are none.
      assertThat(p.properties()).isEqualTo(v5Props);
    } else {
      // An older subscriber's decoder has no properties; a stray property would have shown up
      // in the payload above.
      assertThat(p.properties().isEmpty()).isTrue();
    }
  }

  @Test
  void anAliasedV5PublishReachesA311SubscriberAndTheRetainedStoreWithItsTopic() throws IOException {
    String topic = "vm/alias/" + uniqueId("a");
    RawClient sub = connect(MqttVersion.V3_1_1, "s");
    sub.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connect(MqttVersion.V5, "p");
    Properties alias = Properties.builder().add(PropertyId.TOPIC_ALIAS, 1).build();
    publish(pub, topic, "set", QoS.AT_LEAST_ONCE, false, 1, alias);
    publish(pub, "", "used", QoS.AT_LEAST_ONCE, true, 2, alias);
    assertDelivered(receive(sub), topic, "set", QoS.AT_LEAST_ONCE, false, MqttVersion.V3_1_1, null);
    assertDelivered(
        receive(sub), topic, "used", QoS.AT_LEAST_ONCE, false, MqttVersion.V3_1_1, null);

    // The retained message is kept under the topic the alias stood for.
    RawClient later = connect(MqttVersion.V3_1, "l");
    later.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
    later.read(SubAck.class);
    assertDelivered(receive(later), topic, "used", QoS.AT_LEAST_ONCE, true, MqttVersion.V3_1, null);
    publish(pub, topic, "", QoS.AT_MOST_ONCE, true, 0, Properties.EMPTY);
  }

  // ---- real clients --------------------------------------------------------------------------

  @Test
  void pahoV311SubscriberGetsAPahoV5PublishersMessageWithoutV5Fields() throws Exception {
    String topic = "vm/paho/" + uniqueId("to311");
    BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
    MqttClient sub = ItSupport.paho(broker.port(), uniqueId("v3sub"));
    open.add(() -> closePaho(sub));
    sub.connect(ItSupport.options(true));
    sub.subscribe(topic, 2, (t, m) -> got.add(m));

    PahoV5Client pub = new PahoV5Client(broker.port(), uniqueId("v5pub"));
    open.add(pub);
    pub.connect();
    MqttProperties props = new MqttProperties();
    props.setContentType("application/octet-stream");
    props.setResponseTopic("vm/reply");
    props.setMessageExpiryInterval(300L);
    props.setUserProperties(
        List.of(new org.eclipse.paho.mqttv5.common.packet.UserProperty("a", "b")));
    pub.publish(topic, PahoV5Client.message("from five", 2, false, props));

    MqttMessage m = got.poll(5, TimeUnit.SECONDS);
    assertThat(m).isNotNull();
    assertThat(text(m.getPayload())).isEqualTo("from five");
    assertThat(m.getQos()).isEqualTo(2);
    assertThat(m.isRetained()).isFalse();
  }

  @Test
  void pahoV5SubscriberGetsAPahoV31PublishersMessage() throws Exception {
    String topic = "vm/paho/" + uniqueId("to5");
    PahoV5Client sub = new PahoV5Client(broker.port(), uniqueId("v5sub"));
    open.add(sub);
    sub.connect();
    sub.subscribe(topic, 2);

    MqttClient pub = ItSupport.paho(broker.port(), uniqueId("v31pub"));
    open.add(() -> closePaho(pub));
    MqttConnectOptions o = ItSupport.options(true);
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1);
    pub.connect(o);
    pub.publish(topic, utf8("from three"), 1, false);

    PahoV5Client.Received r = sub.next();
    assertThat(r.topic()).isEqualTo(topic);
    assertThat(r.text()).isEqualTo("from three");
    assertThat(r.message().getQos()).isEqualTo(1);
    MqttProperties p = r.properties();
    assertThat(p.getUserProperties()).isEmpty();
    assertThat(p.getContentType()).isNull();
    assertThat(p.getResponseTopic()).isNull();
    assertThat(p.getMessageExpiryInterval()).isNull();
  }

  private static void closePaho(MqttClient c) throws Exception {
    if (c.isConnected()) {
      c.disconnect(500);
    }
    c.close(true);
  }

  // ---- raw helpers ---------------------------------------------------------------------------

  private RawClient connect(MqttVersion v, String prefix) throws IOException {
    RawClient c = RawClient.connect("127.0.0.1", broker.port(), v);
    open.add(c);
    String id = uniqueId(prefix); // short: MQTT 3.1 allows at most 23 characters
    c.send(
        v == MqttVersion.V5
            ? Packets.connect5(id, Properties.EMPTY)
            : Packets.connect(v, id, true, 60, null));
    ConnAck ack = c.read(ConnAck.class);
    assertThat(ack.reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    return c;
  }

  /** Publishes and completes the QoS flow of the publisher's side. */
  private static void publish(
      RawClient c, String topic, String payload, QoS qos, boolean retain, int id, Properties props)
      throws IOException {
    int packetId = qos == QoS.AT_MOST_ONCE ? 0 : id;
    c.send(
        new Publish(
            topic,
            qos,
            retain,
            false,
            packetId,
            props,
            Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8)));
    switch (qos) {
      case AT_MOST_ONCE -> {
        // Nothing acknowledges QoS 0: a ping answered on the same connection shows the broker
        // has handled the PUBLISH (retained it) before the test goes on.
        c.send(PingReq.INSTANCE);
        assertThat(c.read(PingResp.class)).isNotNull();
      }
      case AT_LEAST_ONCE -> assertThat(c.read(PubAck.class).packetId()).isEqualTo(packetId);
      case EXACTLY_ONCE -> {
        assertThat(c.read(PubRec.class).packetId()).isEqualTo(packetId);
        c.send(PubRel.of(packetId));
        assertThat(c.read(PubComp.class).packetId()).isEqualTo(packetId);
      }
    }
  }

  /** Reads a PUBLISH and completes the QoS flow of the subscriber's side. */
  private static Publish receive(RawClient c) throws IOException {
    Publish p = c.read(Publish.class);
    switch (p.qos()) {
      case AT_MOST_ONCE -> {}
      case AT_LEAST_ONCE -> c.send(PubAck.of(p.packetId()));
      case EXACTLY_ONCE -> {
        c.send(PubRec.of(p.packetId()));
        assertThat(c.read(PubRel.class).packetId()).isEqualTo(p.packetId());
        c.send(PubComp.of(p.packetId()));
      }
    }
    return p;
  }
}
