package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.Broker;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every packet the broker sends stays within the client's Maximum Packet Size [MQTT-3.1.2-24],
 * topic aliases included: an alias that would take a PUBLISH over it is not used.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OutboundSizeIT {
  private static final long MAX = 200;
  private static final String TOPIC = "size/alias-test"; // 15 bytes

  private static Broker broker;

  @BeforeAll
  static void start() {
    broker = TestBroker.start();
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  @Test
  void anAliasThatWouldTakeAPublishOverTheMaximumIsNotUsed() throws Exception {
    Properties limits =
        Properties.builder()
            .add(PropertyId.MAXIMUM_PACKET_SIZE, MAX)
            .add(PropertyId.TOPIC_ALIAS_MAXIMUM, 10)
            .build();
    try (RawClient sub = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5);
        RawClient pub = RawClient.connect(broker.port())) {
      sub.send(Packets.connect5(uniqueId("small"), limits));
      assertThat(sub.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      sub.send(Packets.subscribe(1, TOPIC, QoS.AT_MOST_ONCE));
      assertThat(sub.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.SUCCESS);
      pub.send(Packets.connect(uniqueId("pub"), true));
      pub.read(ConnAck.class);

      // Counted by hand: PUBLISH QoS 0 to the subscriber is 1 (type) + 2 (remaining length) +
      // 2 + 15 (topic) + 1 (no properties) + payload bytes. 177 bytes make it MAX - 2 = 198; a
      // new alias would add 3 (property length 4 instead of 0) and make it 201.
      pub.send(Packets.publish(TOPIC, "p".repeat(177), QoS.AT_MOST_ONCE, 0));
      Publish near = sub.read(Publish.class);
      assertThat(near.topic()).isEqualTo(TOPIC);
      assertThat(near.payload().readableBytes()).isEqualTo(177);
      assertThat(near.properties().get(PropertyId.TOPIC_ALIAS))
          .as("an alias would have taken it to %d bytes, over %d", 201, MAX)
          .isNull();

      // A small one still gets an alias: aliases stay in use where they fit.
      pub.send(Packets.publish(TOPIC, "small", QoS.AT_MOST_ONCE, 0));
      Publish small = sub.read(Publish.class);
      assertThat(small.properties().intValue(PropertyId.TOPIC_ALIAS)).hasValue(1);
      pub.send(Packets.publish(TOPIC, "again", QoS.AT_MOST_ONCE, 0));
      Publish again = sub.read(Publish.class);
      assertThat(again.topic()).as("the alias stands for the topic now").isEmpty();
      assertThat(again.properties().intValue(PropertyId.TOPIC_ALIAS)).hasValue(1);
      // Counted by hand as above, with the alias and an empty topic: 1 + 2 + 2 + 0 + 4 + 189 = 198.
      pub.send(Packets.publish(TOPIC, "q".repeat(189), QoS.AT_MOST_ONCE, 0));
      Publish aliasedNear = sub.read(Publish.class);
      assertThat(aliasedNear.payload().readableBytes()).isEqualTo(189);
    }
  }
}
