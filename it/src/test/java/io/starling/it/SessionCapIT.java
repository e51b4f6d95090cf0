package io.starling.it;

import static io.starling.it.OwnerSupport.connected;
import static io.starling.it.OwnerSupport.nextPublish;
import static io.starling.it.OwnerSupport.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #15 item 8, the session cap: {@code limits.max_sessions} bounds the sessions the broker
 * holds, connected and offline persistent ones together. A CONNECT that would create one more is
 * refused, 3.1.1 return code 3 (server unavailable) and 5.0 0x97 (quota exceeded), and counted in
 * {@code $SYS/broker/sessions/refused}; clients of existing sessions still get in, and a session
 * that ends makes room.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SessionCapIT {
  Broker broker;

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  private static ReasonCode connAck(int port, MqttVersion v, String id) throws Exception {
    try (OwnerSupport.Connected c = open(port, v, id, true, null, null)) {
      ReasonCode r = c.connAck().reasonCode();
      if (r != ReasonCode.SUCCESS) {
        assertThat(c.client().isClosedWithin(Duration.ofSeconds(5))).isTrue();
      }
      return r;
    }
  }

  @Test
  void aConnectThatWouldCreateASessionOverTheCapIsRefused() throws Exception {
    BrokerConfig config = BrokerConfig.defaults().withSys(new BrokerConfig.Sys(1));
    broker =
        TestBroker.start(config.withLimits(config.limits().toBuilder().maxSessions(3).build()));
    int port = broker.port();
    for (String id : new String[] {"cap-1", "cap-2", "cap-3"}) {
      connected(port, id, false, null, null, false).close(); // offline persistent sessions
    }
    assertThat(connAck(port, MqttVersion.V3_1_1, "cap-4"))
        .isEqualTo(ReasonCode.SERVER_UNAVAILABLE); // return code 3
    assertThat(connAck(port, MqttVersion.V5, "cap-5")).isEqualTo(ReasonCode.QUOTA_EXCEEDED);
    assertThat(broker.sessions().size()).isEqualTo(3);

    // An existing session is no new one: its client gets in, and a clean session ends it, which
    // makes room.
    connected(port, "cap-1", false, null, null, true).close();
    try (RawClient c = connected(port, "cap-2", true, null, null, false)) {
      c.send(Disconnect.NORMAL);
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> broker.sessions().size() == 2);
    assertThat(connAck(port, MqttVersion.V3_1_1, "cap-4")).isEqualTo(ReasonCode.SUCCESS);

    // Counted in $SYS (read through an existing session, so as not to need a new one).
    try (RawClient c = connected(port, "cap-3", false, null, null, true)) {
      c.send(Packets.subscribe(1, "$SYS/broker/sessions/refused", QoS.AT_MOST_ONCE));
      assertThat(c.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.SUCCESS);
      String value = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (!"2".equals(value) && System.nanoTime() < deadline) {
        Publish p = nextPublish(c, Duration.ofSeconds(2));
        value = p == null ? value : Packets.text(p);
      }
      assertThat(value).isEqualTo("2");
    }
  }
}
