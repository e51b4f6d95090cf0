package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.Broker;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * QoS 2 messages for a 3.1.1 persistent session that is offline are kept and delivered, once each
 * and in order, when it comes back [MQTT-3.1.2-5], and finish their exchange there.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OfflineQos2IT {
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
  void qos2MessagesWaitForAnOffline311SessionAndArriveOnceInOrder() throws Exception {
    String id = uniqueId("offline-q2");
    String topic = "offline/q2/" + id;
    try (RawClient sub = RawClient.connect(broker.port())) {
      sub.send(Packets.connect(id, false));
      assertThat(sub.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      sub.send(Packets.subscribe(1, topic, QoS.EXACTLY_ONCE));
      assertThat(sub.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.GRANTED_QOS_2);
    } // gone without DISCONNECT: the session stays
    try (RawClient pub = RawClient.connect(broker.port())) {
      pub.send(Packets.connect(uniqueId("offline-q2-pub"), true));
      pub.read(ConnAck.class);
      for (int i = 1; i <= 5; i++) {
        pub.send(Packets.publish(topic, "m" + i, QoS.EXACTLY_ONCE, i));
        assertThat(pub.read(PubRec.class).packetId()).isEqualTo(i);
        pub.send(PubRel.of(i));
        assertThat(pub.read(PubComp.class).packetId()).isEqualTo(i);
      }
    }
    try (RawClient back = RawClient.connect(broker.port())) {
      back.send(Packets.connect(id, false));
      ConnAck ack = back.read(ConnAck.class);
      assertThat(ack.sessionPresent()).isTrue();
      List<String> got = new ArrayList<>();
      int released = 0;
      while (got.size() < 5 || released < 5) {
        MqttPacket m = back.read();
        if (m instanceof Publish p) {
          assertThat(p.qos()).isEqualTo(QoS.EXACTLY_ONCE);
          got.add(Packets.text(p));
          back.send(PubRec.of(p.packetId()));
        } else {
          assertThat(m).isInstanceOf(PubRel.class);
          back.send(PubComp.of(((PubRel) m).packetId()));
          released++;
        }
      }
      assertThat(got).containsExactly("m1", "m2", "m3", "m4", "m5");
    }
  }
}
