package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.Broker;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubAck;
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
 * Packet identifiers wrap around after 65,535 and skip the ones still in use [MQTT-2.2.1-3]
 * [MQTT-2.2.1-4]: a subscriber that holds one delivery unacknowledged while 70,000 more pass never
 * sees that identifier again, nor 0, and sees the counter wrap.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PacketIdWrapIT {
  private static final int MESSAGES = 70_000;
  private static final int BATCH = 16;

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
  void identifiersWrapAndSkipTheOneStillInFlight() throws Exception {
    String topic = "wrap/" + uniqueId("t");
    try (RawClient sub = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5);
        RawClient pub = RawClient.connect(broker.port())) {
      sub.send(Packets.connect5(uniqueId("wrap-sub"), Properties.EMPTY));
      assertThat(sub.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      sub.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
      assertThat(sub.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.GRANTED_QOS_1);
      pub.send(Packets.connect(uniqueId("wrap-pub"), true));
      pub.read(ConnAck.class);

      int held = -1;
      boolean wrapped = false;
      int previous = 0;
      int received = 0;
      for (int sent = 0; sent < MESSAGES; sent += BATCH) {
        for (int i = 0; i < BATCH; i++) {
          pub.send(Packets.publish(topic, "m", QoS.AT_LEAST_ONCE, (sent + i) % 65_535 + 1));
        }
        for (int i = 0; i < BATCH; i++) {
          pub.read(PubAck.class);
        }
        for (int i = 0; i < BATCH; i++) {
          Publish p = sub.read(Publish.class);
          int id = p.packetId();
          received++;
          assertThat(id).as("delivery %d", received).isNotZero().isNotEqualTo(held);
          if (id < previous) {
            wrapped = true;
          }
          previous = id;
          if (held < 0) {
            held = id; // never acknowledged: its identifier stays in use
          } else {
            sub.send(PubAck.of(id));
          }
        }
      }
      assertThat(received).isEqualTo(MESSAGES);
      assertThat(wrapped).as("the identifiers wrapped around after 65,535").isTrue();
    }
  }
}
