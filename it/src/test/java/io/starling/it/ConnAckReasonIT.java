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
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A refusing CONNACK to a 5.0 client says why in a Reason String, unless the client's Maximum
 * Packet Size is small enough that it might not fit [MQTT-3.2.2-19].
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConnAckReasonIT {
  private static Broker broker;

  @BeforeAll
  static void start() {
    broker = TestBroker.start();
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  private static ConnAck refused(Properties connectProperties) throws Exception {
    try (RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5)) {
      c.send(
          Packets.connect5(
              uniqueId("why"),
              true,
              60,
              Packets.will("$SYS/forged", "x", QoS.AT_MOST_ONCE, false),
              connectProperties));
      return c.read(ConnAck.class);
    }
  }

  @Test
  void aRefusalSaysWhy() throws Exception {
    ConnAck ack = refused(Properties.EMPTY);
    assertThat(ack.reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(ack.properties().stringValue(PropertyId.REASON_STRING))
        .hasValue("the will topic starts with $");
  }

  @Test
  void aClientWithASmallMaximumPacketSizeGetsNoReasonString() throws Exception {
    ConnAck ack = refused(Packets.props(PropertyId.MAXIMUM_PACKET_SIZE, 128L));
    assertThat(ack.reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(ack.properties().stringValue(PropertyId.REASON_STRING)).isEmpty();
  }
}
