package io.starling.it;

import static io.starling.it.OwnerSupport.connected;
import static io.starling.it.OwnerSupport.nextPublish;
import static io.starling.it.OwnerSupport.open;
import static io.starling.it.OwnerSupport.passwd;
import static io.starling.it.OwnerSupport.publish;
import static io.starling.it.OwnerSupport.subscribe;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.PersistenceConfig;
import io.starling.broker.config.SecurityConfig;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Publish;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #15 item 4: a client identifier is not an identity. A session remembers the user that
 * created it (stored with it); with authentication on, a CONNECT for its client id by another user
 * (or by an anonymous client) is refused, 3.1.1 return code 5 and 5.0 0x87, and neither ends the
 * owner's connection nor learns anything of the session; the owner comes back to it, also after a
 * {@code kill -9} and a restart. With {@code security.allow_takeover_by_other_user: true} the other
 * user takes it over, but gets only what the new owner may read.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SessionOwnerIT {
  @TempDir Path dir;
  Path passwd;
  Path acl;
  Broker broker;

  @BeforeEach
  void files() throws Exception {
    passwd = dir.resolve("passwd");
    acl = dir.resolve("acl");
    passwd(passwd, true, "alice", "alice-pw");
    passwd(passwd, false, "bob", "bob-pw");
    Files.writeString(
        acl,
        String.join(
            "\n", "user alice readwrite alice/#", "user bob readwrite bob/#", "all write #", ""),
        StandardCharsets.UTF_8);
  }

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  private int start(boolean allowTakeover) {
    SecurityConfig security =
        SecurityConfig.DEFAULT
            .with(true, List.of("file"), passwd, acl)
            .withTiming(1, 2, 5000, 300)
            .withTakeoverByOtherUser(allowTakeover);
    broker =
        TestBroker.start(
            BrokerConfig.defaults()
                .withSys(new BrokerConfig.Sys(0))
                .withSecurity(security)
                .withPersistence(PersistenceConfig.DISABLED.withDataDir(dir.resolve("data"))));
    return broker.port();
  }

  /** Alice's persistent session subscribed to her inbox, offline, with one message queued. */
  private static void aliceLeavesAMessageQueued(int port, String id) throws Exception {
    try (RawClient alice = connected(port, id, false, "alice", "alice-pw", false)) {
      subscribe(alice, 1, "alice/inbox/#");
    }
    try (RawClient sender =
        connected(port, ItSupport.uniqueId("s"), true, "bob", "bob-pw", false)) {
      publish(sender, "alice/inbox/1", "for alice only", 1);
    }
  }

  private static ReasonCode connAck(
      int port, MqttVersion v, String id, boolean clean, String user, String password)
      throws Exception {
    try (OwnerSupport.Connected c = open(port, v, id, clean, user, password)) {
      if (c.connAck().reasonCode() != ReasonCode.SUCCESS) {
        assertThat(c.connAck().sessionPresent()).isFalse(); // [MQTT-3.2.2-4]
        assertThat(c.client().isClosedWithin(Duration.ofSeconds(5))).isTrue(); // [MQTT-3.2.2-5]
      }
      return c.connAck().reasonCode();
    }
  }

  /** Alice comes back to her session and gets her queued message. */
  private static void aliceGetsHerMessage(int port, String id) throws Exception {
    try (RawClient alice = connected(port, id, false, "alice", "alice-pw", true)) {
      Publish p = nextPublish(alice, Duration.ofSeconds(5));
      assertThat(p).isNotNull();
      assertThat(Packets.text(p)).isEqualTo("for alice only");
    }
  }

  @Test
  void anotherUserCannotTakeASessionOver() throws Exception {
    int port = start(false);
    aliceLeavesAMessageQueued(port, "alice-phone");
    // bob, in 3.1.1 and in 5.0, with clean session 0 and 1, and an anonymous client: refused.
    assertThat(connAck(port, MqttVersion.V3_1_1, "alice-phone", false, "bob", "bob-pw"))
        .isEqualTo(ReasonCode.NOT_AUTHORIZED); // return code 5
    assertThat(connAck(port, MqttVersion.V3_1_1, "alice-phone", true, "bob", "bob-pw"))
        .isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(connAck(port, MqttVersion.V5, "alice-phone", false, "bob", "bob-pw"))
        .isEqualTo(ReasonCode.NOT_AUTHORIZED); // 0x87
    assertThat(connAck(port, MqttVersion.V3_1_1, "alice-phone", false, null, null))
        .isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(broker.stats().takeoversRefused.sum()).isEqualTo(4);
    aliceGetsHerMessage(port, "alice-phone");
  }

  @Test
  void aRefusedTakeoverLeavesTheOwnersConnectionAlone() throws Exception {
    int port = start(false);
    try (RawClient alice = connected(port, "alice-laptop", false, "alice", "alice-pw", false)) {
      subscribe(alice, 1, "alice/inbox/#");
      assertThat(connAck(port, MqttVersion.V3_1_1, "alice-laptop", false, "bob", "bob-pw"))
          .isEqualTo(ReasonCode.NOT_AUTHORIZED);
      try (RawClient sender =
          connected(port, ItSupport.uniqueId("s"), true, "bob", "bob-pw", false)) {
        publish(sender, "alice/inbox/2", "still here", 1);
      }
      Publish p = nextPublish(alice, Duration.ofSeconds(5));
      assertThat(p).as("alice's connection survived bob's attempt").isNotNull();
      assertThat(Packets.text(p)).isEqualTo("still here");
    }
  }

  @Test
  void theOwnerIsStoredWithTheSessionAndHoldsAfterKill9() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path config = dir.resolve("starling.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "security:",
            "  authenticators: [file]",
            "  password_file: " + passwd,
            "  acl_file: " + acl,
            ""),
        StandardCharsets.UTF_8);
    String[] args = {
      "--port",
      String.valueOf(port),
      "--data-dir",
      dir.resolve("data").toString(),
      "--config",
      config.toString()
    };
    try (BrokerProcess first = BrokerProcess.start(Duration.ofSeconds(60), args)) {
      assertThat(first.isAlive()).as(first.toString()).isTrue();
      aliceLeavesAMessageQueued(port, "alice-tablet");
      first.kill();
    }
    try (BrokerProcess second = BrokerProcess.start(Duration.ofSeconds(60), args)) {
      assertThat(second.isAlive()).as(second.toString()).isTrue();
      // Restored before anyone connected: still alice's.
      assertThat(connAck(port, MqttVersion.V3_1_1, "alice-tablet", false, "bob", "bob-pw"))
          .isEqualTo(ReasonCode.NOT_AUTHORIZED);
      aliceGetsHerMessage(port, "alice-tablet");
    }
  }

  @Test
  void aTakeoverAllowedAcrossUsersSendsOnlyWhatTheNewOwnerMayRead() throws Exception {
    int port = start(true);
    aliceLeavesAMessageQueued(port, "shared-device");
    try (RawClient bob = connected(port, "shared-device", false, "bob", "bob-pw", true)) {
      // The session is bob's now, with alice's subscription and queue; her message is withheld.
      assertThat(nextPublish(bob, Duration.ofSeconds(1))).isNull();
      try (RawClient sender =
          connected(port, ItSupport.uniqueId("s"), true, "bob", "bob-pw", false)) {
        publish(sender, "alice/inbox/3", "also for alice", 1);
      }
      assertThat(nextPublish(bob, Duration.ofMillis(500))).isNull();
    }
    assertThat(broker.stats().deliveriesDenied.sum()).isGreaterThanOrEqualTo(2);
  }
}
