package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.Broker;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;

/**
 * A DISCONNECT the server sends reaches a client that is still writing: the broker writes it, shuts
 * its output, and reads and discards what the client still sends for a bounded moment before it
 * closes, so the client is not reset (its writes failing with a broken pipe, as Paho's did) before
 * it reads the reason.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ServerDisconnectIT {
  // PUBLISH QoS 0, topic "a", properties: Topic Alias 0 (invalid [MQTT-3.3.2-8]), payload "x".
  private static final byte[] ALIAS_ZERO = HexFormat.of().parseHex("30080001610323000078");
  private static final byte[] PINGREQS = new byte[4096];

  static {
    for (int i = 0; i < PINGREQS.length; i += 2) {
      PINGREQS[i] = (byte) 0xC0;
    }
  }

  private static Broker broker;

  @BeforeAll
  static void start() {
    broker = TestBroker.start();
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  @RepeatedTest(3)
  void aClientStillWritingReadsTheReasonItWasDisconnectedFor() throws Exception {
    try (RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5)) {
      c.send(Packets.connect5(uniqueId("writer"), Properties.EMPTY));
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      c.send(ALIAS_ZERO);
      // The client goes on writing for about 300 ms, as a busy publisher does before it notices:
      // every write must succeed (no reset), the broker drains it.
      for (int i = 0; i < 60; i++) {
        c.send(PINGREQS);
        Thread.sleep(5); // pacing the client's own writes, not waiting for the broker
      }
      MqttPacket last = c.read(Duration.ofSeconds(5));
      assertThat(last).isInstanceOf(Disconnect.class);
      assertThat(((Disconnect) last).reasonCode()).isEqualTo(ReasonCode.TOPIC_ALIAS_INVALID);
      assertThat(c.isClosedWithin(Duration.ofSeconds(3))).isTrue();
    }
  }
}
