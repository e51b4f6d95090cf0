package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.Broker;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The keep-alive is held both ways: a client whose packets come less than 1.5 times its keep-alive
 * apart stays connected, and a silent one is closed between 1.5 times the keep-alive and a second
 * after that (3.1.1 [MQTT-3.1.2-24], 5.0 [MQTT-3.1.2-22], with DISCONNECT 0x8D in 5.0).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeepAliveBoundsIT {
  private static final int KEEP_ALIVE = 2;

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
  void aClientPingingAt1point35TimesItsKeepAliveStaysConnected() throws Exception {
    try (RawClient c = RawClient.connect(broker.port())) {
      c.send(Packets.connect(MqttVersion.V3_1_1, uniqueId("pinger"), true, KEEP_ALIVE, null));
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      for (int i = 0; i < 3; i++) {
        Thread.sleep(2_700); // the client's own pace: 1.35 times its keep-alive between packets
        c.send(PingReq.INSTANCE);
        assertThat(c.read(Duration.ofSeconds(1)))
            .as("ping %d answered", i)
            .isInstanceOf(PingResp.class);
      }
    }
  }

  @Test
  void aSilent311ClientIsClosedBetween1point5TimesItsKeepAliveAndASecondLater() throws Exception {
    try (RawClient c = RawClient.connect(broker.port())) {
      c.send(Packets.connect(MqttVersion.V3_1_1, uniqueId("silent"), true, KEEP_ALIVE, null));
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      long start = System.nanoTime();
      assertThat(c.isClosedWithin(Duration.ofSeconds(6))).isTrue();
      assertClosedInTheWindow(start);
    }
  }

  @Test
  void aSilent50ClientGetsKeepAliveTimeoutInTheWindow() throws Exception {
    try (RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5)) {
      c.send(Packets.connect5(uniqueId("silent5"), true, KEEP_ALIVE, null, Properties.EMPTY));
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      long start = System.nanoTime();
      MqttPacket last = c.read(Duration.ofSeconds(6));
      assertClosedInTheWindow(start);
      assertThat(last).isInstanceOf(Disconnect.class);
      assertThat(((Disconnect) last).reasonCode()).isEqualTo(ReasonCode.KEEP_ALIVE_TIMEOUT);
    } catch (IOException e) {
      throw new AssertionError("closed without DISCONNECT 0x8D", e);
    }
  }

  private static void assertClosedInTheWindow(long start) {
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    // 1.5 x 2 s = 3 s after the broker read CONNECT (a few ms before CONNACK reached us), and at
    // most a second after that, plus scheduling slack on a shared machine.
    assertThat(millis).as("closed after %d ms", millis).isBetween(2_900L, 4_300L);
  }
}
