package io.starling.it;

import static io.starling.it.ItSupport.text;
import static io.starling.it.ItSupport.uniqueId;
import static io.starling.it.ItSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient.Mqtt3Publishes;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAck;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAck;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import io.starling.broker.Broker;
import io.starling.testkit.TestBroker;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The HiveMQ MQTT client (MQTT 3.1.1, blocking API) against an in-process broker. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HiveMqClientIT {
  private static Broker broker;
  private final List<Mqtt3BlockingClient> clients = new ArrayList<>();
  private final List<Mqtt3Publishes> streams = new ArrayList<>();

  @BeforeAll
  static void startBroker() {
    broker = TestBroker.start();
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @AfterEach
  void closeClients() {
    streams.forEach(Mqtt3Publishes::close);
    for (Mqtt3BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(MqttQos.class)
  void roundTrip(MqttQos qos) throws InterruptedException {
    String topic = "hive/rt/" + uniqueId(qos.name());
    Mqtt3BlockingClient sub = connected(uniqueId("sub"));
    Mqtt3Publishes received = publishes(sub);
    Mqtt3SubAck ack = sub.subscribeWith().topicFilter(topic).qos(qos).send();
    assertThat(ack.getReturnCodes()).containsExactly(granted(qos));

    Mqtt3BlockingClient pub = connected(uniqueId("pub"));
    pub.publishWith().topic(topic).qos(qos).payload(utf8("hello " + qos)).send();

    Mqtt3Publish p = next(received);
    assertThat(p.getTopic().toString()).isEqualTo(topic);
    assertThat(text(p.getPayloadAsBytes())).isEqualTo("hello " + qos);
    assertThat(p.getQos()).isEqualTo(qos);
    assertThat(p.isRetain()).isFalse();
  }

  @Test
  void retainedMessageReachesALaterWildcardSubscriberWithRetainSet() throws InterruptedException {
    String root = "hive/retained/" + uniqueId("r");
    Mqtt3BlockingClient pub = connected(uniqueId("pub"));
    pub.publishWith()
        .topic(root + "/door")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .payload(utf8("closed"))
        .send();

    Mqtt3BlockingClient sub = connected(uniqueId("sub"));
    Mqtt3Publishes received = publishes(sub);
    sub.subscribeWith().topicFilter(root + "/+").qos(MqttQos.AT_LEAST_ONCE).send();

    // [MQTT-3.3.1-6]: a retained message sent for a new subscription has RETAIN 1.
    Mqtt3Publish p = next(received);
    assertThat(p.getTopic().toString()).isEqualTo(root + "/door");
    assertThat(text(p.getPayloadAsBytes())).isEqualTo("closed");
    assertThat(p.isRetain()).isTrue();
    assertThat(p.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
  }

  @Test
  void persistentSessionGetsWhatWasPublishedWhileOfflineInOrder() throws InterruptedException {
    String id = uniqueId("persistent");
    String topic = "hive/offline/" + id;

    Mqtt3BlockingClient first = client(id);
    Mqtt3ConnAck firstAck = first.connectWith().cleanSession(false).send();
    assertThat(firstAck.isSessionPresent()).isFalse();
    first.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
    first.disconnect();

    Mqtt3BlockingClient pub = connected(uniqueId("pub"));
    for (int i = 0; i < 10; i++) {
      pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(utf8("m" + i)).send();
    }

    // The stream is registered before CONNECT: queued messages come right behind CONNACK.
    Mqtt3BlockingClient again = client(id);
    Mqtt3Publishes received = publishes(again);
    Mqtt3ConnAck ack = again.connectWith().cleanSession(false).send();
    assertThat(ack.getReturnCode()).isEqualTo(Mqtt3ConnAckReturnCode.SUCCESS);
    assertThat(ack.isSessionPresent()).as("session present on reconnect").isTrue();

    List<String> got = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Mqtt3Publish p = next(received);
      assertThat(p.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
      got.add(text(p.getPayloadAsBytes()));
    }
    assertThat(got).containsExactly("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9");

    // Clean up the session so that it does not outlive the test.
    again.disconnect();
    client(id).connectWith().cleanSession(true).send();
  }

  @Test
  void unsubscribeStopsDelivery() throws InterruptedException {
    String root = "hive/unsub/" + uniqueId("u");
    Mqtt3BlockingClient sub = connected(uniqueId("sub"));
    Mqtt3Publishes received = publishes(sub);
    sub.subscribeWith().topicFilter(root + "/a").qos(MqttQos.AT_LEAST_ONCE).send();
    sub.subscribeWith().topicFilter(root + "/marker").qos(MqttQos.AT_LEAST_ONCE).send();

    Mqtt3BlockingClient pub = connected(uniqueId("pub"));
    pub.publishWith().topic(root + "/a").qos(MqttQos.AT_LEAST_ONCE).payload(utf8("1")).send();
    assertThat(text(next(received).getPayloadAsBytes())).isEqualTo("1");

    sub.unsubscribeWith().topicFilter(root + "/a").send();
    pub.publishWith().topic(root + "/a").qos(MqttQos.AT_LEAST_ONCE).payload(utf8("2")).send();
    // Same publisher, same subscriber: had "2" been delivered, it would come before the marker.
    pub.publishWith()
        .topic(root + "/marker")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(utf8("marker"))
        .send();
    Mqtt3Publish p = next(received);
    assertThat(p.getTopic().toString()).isEqualTo(root + "/marker");
    assertThat(received.receiveNow()).isEmpty();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private Mqtt3BlockingClient client(String id) {
    Mqtt3BlockingClient c =
        Mqtt3Client.builder()
            .identifier(id)
            .serverHost("127.0.0.1")
            .serverPort(broker.port())
            .buildBlocking();
    clients.add(c);
    return c;
  }

  private Mqtt3BlockingClient connected(String id) {
    Mqtt3BlockingClient c = client(id);
    assertThat(c.connect().getReturnCode()).isEqualTo(Mqtt3ConnAckReturnCode.SUCCESS);
    return c;
  }

  private Mqtt3Publishes publishes(Mqtt3BlockingClient c) {
    Mqtt3Publishes p = c.publishes(MqttGlobalPublishFilter.ALL);
    streams.add(p);
    return p;
  }

  private static Mqtt3Publish next(Mqtt3Publishes received) throws InterruptedException {
    Optional<Mqtt3Publish> p = received.receive(5, TimeUnit.SECONDS);
    assertThat(p).as("a message within 5 s").isPresent();
    return p.orElseThrow();
  }

  private static Mqtt3SubAckReturnCode granted(MqttQos qos) {
    return switch (qos) {
      case AT_MOST_ONCE -> Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_0;
      case AT_LEAST_ONCE -> Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_1;
      case EXACTLY_ONCE -> Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_2;
    };
  }
}
