package io.starling.it;

import static io.starling.it.OwnerSupport.connected;
import static io.starling.it.OwnerSupport.nextPublish;
import static io.starling.it.OwnerSupport.publish;
import static io.starling.it.OwnerSupport.queuedTopics;
import static io.starling.it.OwnerSupport.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.PersistenceConfig;
import io.starling.broker.config.SecurityConfig;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #15 items 3 and 10e: the ACL's read check holds on every path a message takes to a
 * subscriber, with persistence on. A message a persistent subscriber may not read is never stored
 * for it (nothing of it in the store's queue), never delivered after it reconnects, nor after a
 * restart (whose restored sessions have their owner's read check before anyone connects); a message
 * in flight when the ACL stopped allowing it is not resent; and a shared subscription gives each
 * message to a member that may read it, so the group loses none.
 *
 * <p>The ACL, for anonymous clients (no authenticator): anyone may write under {@code public/};
 * {@code public/secret/#} is denied above {@code public/#} for reading, so a subscription to {@code
 * public/#} is granted and the secret topics withheld from it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AclQueueIT {
  private static final String RULES =
      String.join(
          "\n",
          "all write public/#",
          "all write jobs/#",
          "client trusted read jobs/#",
          "all deny public/secret/#",
          "all deny jobs/secret/#",
          "all read public/#",
          "all read jobs/#",
          "");

  @TempDir Path dir;
  Path acl;
  Path data;
  Broker broker;

  @BeforeEach
  void files() throws Exception {
    acl = dir.resolve("acl");
    data = dir.resolve("data");
    Files.writeString(acl, RULES, StandardCharsets.UTF_8);
  }

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  private int start() {
    SecurityConfig security =
        SecurityConfig.DEFAULT.with(true, List.of(), null, acl).withTiming(1, 2, 5000, 300);
    broker =
        TestBroker.start(
            BrokerConfig.defaults()
                .withSys(new BrokerConfig.Sys(0))
                .withSecurity(security)
                .withPersistence(PersistenceConfig.DISABLED.withDataDir(data)));
    return broker.port();
  }

  private void stopBroker() {
    broker.close();
    broker = null;
  }

  /** A persistent subscriber to public/# that then goes offline. */
  private void subscribeAndLeave(int port, String id) throws Exception {
    try (RawClient sub = connected(port, id, false, null, null, false)) {
      subscribe(sub, 1, "public/#");
    }
  }

  /** Publishes the denied message first, then an allowed one, both QoS 1, acknowledged. */
  private static void publishSecretThenNews(int port) throws Exception {
    try (RawClient pub = connected(port, ItSupport.uniqueId("pub"), true, null, null, false)) {
      publish(pub, "public/secret/x", "secret", 1);
      publish(pub, "public/news", "news", 2);
    }
  }

  /**
   * The reconnecting subscriber's first message is the allowed one (the denied one was published
   * before it, so it would have come first), and nothing follows.
   */
  private static void assertOnlyNewsArrives(int port, String id) throws Exception {
    try (RawClient sub = connected(port, id, false, null, null, true)) {
      Publish first = nextPublish(sub, Duration.ofSeconds(5));
      assertThat(first).as("the queued allowed message").isNotNull();
      assertThat(first.topic()).isEqualTo("public/news");
      assertThat(nextPublish(sub, Duration.ofMillis(300))).isNull();
    }
  }

  @Test
  void aDeniedMessageIsNeitherStoredNorDeliveredToAnOfflineSubscriber() throws Exception {
    int port = start();
    subscribeAndLeave(port, "reader-offline");
    publishSecretThenNews(port);
    stopBroker();
    // What the broker wrote for the offline session: the allowed copy only.
    assertThat(queuedTopics(data)).containsExactly("public/news");
    port = start();
    assertOnlyNewsArrives(port, "reader-offline");
  }

  @Test
  void aSessionRestoredAfterARestartHasItsOwnersReadCheckBeforeItReconnects() throws Exception {
    int port = start();
    subscribeAndLeave(port, "reader-restored");
    stopBroker();
    port = start(); // the session is restored; its client has not come back
    publishSecretThenNews(port);
    stopBroker();
    assertThat(queuedTopics(data)).containsExactly("public/news");
    port = start();
    assertOnlyNewsArrives(port, "reader-restored");
  }

  @Test
  void aMessageInFlightIsNotResentOnceTheAclWithholdsIt() throws Exception {
    Files.writeString(acl, "all readwrite public/#\n", StandardCharsets.UTF_8);
    int port = start();
    try (RawClient sub = connected(port, "reader-inflight", false, null, null, false)) {
      subscribe(sub, 1, "public/#");
      try (RawClient pub = connected(port, "pub-inflight", true, null, null, false)) {
        publish(pub, "public/secret/y", "secret", 1);
      }
      // Received and never acknowledged: it stays in flight, to be resent on reconnect.
      Publish p = (Publish) sub.read();
      assertThat(p.topic()).isEqualTo("public/secret/y");
    }
    Files.writeString(acl, RULES, StandardCharsets.UTF_8);
    awaitReload(port);
    try (RawClient sub = connected(port, "reader-inflight", false, null, null, true)) {
      try (RawClient pub = connected(port, "pub-inflight", true, null, null, false)) {
        publish(pub, "public/news", "news", 1);
      }
      Publish first = nextPublish(sub, Duration.ofSeconds(5));
      assertThat(first).isNotNull();
      assertThat(first.topic()).as("the in-flight secret is not resent").isEqualTo("public/news");
      assertThat(first.dup()).isFalse();
    }
  }

  /** Waits until the new rules are in force: a subscription to the secret topics is refused. */
  private static void awaitReload(int port) {
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              try (RawClient probe =
                  connected(port, ItSupport.uniqueId("probe"), true, null, null, false)) {
                probe.send(Packets.subscribe(1, "public/secret/#", QoS.AT_LEAST_ONCE));
                return probe.read(SubAck.class).reasonCodes().get(0)
                    == ReasonCode.UNSPECIFIED_ERROR;
              }
            });
  }

  @Test
  void aSharedGroupGivesEachMessageToAMemberThatMayReadIt() throws Exception {
    int port = start();
    int n = 20;
    try (RawClient trusted = connected(port, "trusted", true, null, null, false);
        RawClient other = connected(port, "other", true, null, null, false)) {
      subscribe(trusted, 1, "$share/g/jobs/#");
      subscribe(other, 1, "$share/g/jobs/#");
      try (RawClient pub = connected(port, "pub-jobs", true, null, null, false)) {
        for (int i = 0; i < n; i++) {
          publish(pub, "jobs/secret/" + i, "job " + i, i + 1);
        }
      }
      List<String> got = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Publish p = nextPublish(trusted, Duration.ofSeconds(5));
        assertThat(p)
            .as("job %d of %d reached the member that may read it; got %s", i, n, got)
            .isNotNull();
        got.add(Packets.text(p));
      }
      assertThat(got).hasSize(n).doesNotHaveDuplicates();
      assertThat(nextPublish(other, Duration.ofMillis(300))).isNull();
    }
  }
}
