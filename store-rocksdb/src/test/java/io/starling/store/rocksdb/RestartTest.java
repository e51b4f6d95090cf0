package io.starling.store.rocksdb;

import static io.starling.testkit.Packets.connect;
import static io.starling.testkit.Packets.publish;
import static io.starling.testkit.Packets.subscribe;
import static io.starling.testkit.Packets.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.PersistenceConfig;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Will;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker with persistence on RocksDB, stopped and started again on the same data directory:
 * sessions, subscriptions, queued messages (in order), in-flight messages (resent with DUP and the
 * same packet id), inbound QoS 2 state and retained messages survive.
 */
@Timeout(60)
class RestartTest {
  @TempDir Path dir;
  private Broker broker;

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  private Broker start(PersistenceConfig.Durability durability) {
    BrokerConfig cfg =
        BrokerConfig.defaults()
            .withSys(new BrokerConfig.Sys(0))
            .withPersistence(
                PersistenceConfig.DISABLED
                    .withDataDir(dir.resolve("data"))
                    .withDurability(durability));
    broker = TestBroker.start(cfg);
    return broker;
  }

  private void restart(PersistenceConfig.Durability durability) {
    broker.close();
    broker = null;
    start(durability);
  }

  private static RawClient client(Broker b, String id, boolean clean, boolean present)
      throws Exception {
    RawClient c = RawClient.connect(b.port());
    c.send(connect(id, clean));
    assertThat(c.read(ConnAck.class).sessionPresent()).isEqualTo(present);
    return c;
  }

  private static void subscribeTo(RawClient c, String filter, QoS qos) throws Exception {
    c.send(subscribe(1, filter, qos));
    c.read(SubAck.class);
  }

  @Test
  void queuedMessagesSubscriptionsAndRetainedSurviveARestart() throws Exception {
    start(PersistenceConfig.Durability.SYNC);
    try (RawClient sub = client(broker, "sub", false, false)) {
      subscribeTo(sub, "t/#", QoS.AT_LEAST_ONCE);
      subscribeTo(sub, "q2/#", QoS.EXACTLY_ONCE);
      sub.send(Disconnect.NORMAL);
    }
    try (RawClient pub = client(broker, "pub", true, false)) {
      for (int i = 1; i <= 5; i++) {
        pub.send(publish("t/a", "m" + i, QoS.AT_LEAST_ONCE, i));
        assertThat(pub.read(PubAck.class).packetId()).isEqualTo(i);
      }
      for (int i = 6; i <= 7; i++) {
        pub.send(publish("q2/a", "m" + i, QoS.EXACTLY_ONCE, i));
        pub.read(PubRec.class);
        pub.send(PubRel.of(i));
        pub.read(PubComp.class);
      }
      pub.send(
          new Publish(
              "r/1",
              QoS.AT_LEAST_ONCE,
              true,
              false,
              9,
              Properties.EMPTY,
              Unpooled.copiedBuffer("kept", StandardCharsets.UTF_8)));
      pub.read(PubAck.class);
    }

    restart(PersistenceConfig.Durability.SYNC);

    try (RawClient sub = client(broker, "sub", false, true)) {
      List<String> got = new ArrayList<>();
      int released = 0;
      while (got.size() < 7 || released < 2) {
        var packet = sub.read();
        if (packet instanceof Publish p) {
          got.add(text(p));
          sub.send(
              p.qos() == QoS.AT_LEAST_ONCE ? PubAck.of(p.packetId()) : PubRec.of(p.packetId()));
        } else if (packet instanceof PubRel rel) {
          released++;
          sub.send(PubComp.of(rel.packetId()));
        }
      }
      assertThat(got.subList(0, 5)).containsExactly("m1", "m2", "m3", "m4", "m5");
      assertThat(got).contains("m6", "m7");
      assertThat(got.indexOf("m6")).isLessThan(got.indexOf("m7"));
      // The subscription is back in the topic tree: a new message arrives too.
      try (RawClient pub = client(broker, "pub2", true, false)) {
        pub.send(publish("t/b", "after", QoS.AT_LEAST_ONCE, 1));
        pub.read(PubAck.class);
      }
      Publish p = sub.read(Publish.class);
      assertThat(text(p)).isEqualTo("after");
      sub.send(PubAck.of(p.packetId()));
      sub.send(Disconnect.NORMAL);
    }
    try (RawClient late = client(broker, "late", true, false)) {
      subscribeTo(late, "r/#", QoS.AT_LEAST_ONCE);
      Publish r = late.read(Publish.class);
      assertThat(text(r)).isEqualTo("kept");
      assertThat(r.retained()).isTrue();
    }

    // Delivered and acknowledged messages are not delivered again after another restart.
    restart(PersistenceConfig.Durability.PERIODIC);
    try (RawClient sub = client(broker, "sub", false, true)) {
      assertThat(sub.isClosedWithin(java.time.Duration.ofMillis(500))).isFalse();
    }
  }

  @Test
  void messagesInFlightAreResentWithDupAndTheSamePacketId() throws Exception {
    start(PersistenceConfig.Durability.SYNC);
    int packetId;
    RawClient sub = client(broker, "inflight", false, false);
    subscribeTo(sub, "f/#", QoS.EXACTLY_ONCE);
    try (RawClient pub = client(broker, "pub", true, false)) {
      pub.send(publish("f/1", "once", QoS.EXACTLY_ONCE, 1));
      pub.read(PubRec.class);
      pub.send(PubRel.of(1));
      pub.read(PubComp.class);
    }
    Publish first = sub.read(Publish.class);
    assertThat(first.dup()).isFalse();
    packetId = first.packetId();
    // Not acknowledged: the broker stops with the message in flight.
    restart(PersistenceConfig.Durability.SYNC);
    sub.close();

    try (RawClient again = client(broker, "inflight", false, true)) {
      Publish resent = again.read(Publish.class);
      assertThat(text(resent)).isEqualTo("once");
      assertThat(resent.dup()).isTrue();
      assertThat(resent.packetId()).isEqualTo(packetId);
      again.send(PubRec.of(packetId));
      again.read(PubRel.class);
      // Stopped between PUBREL and PUBCOMP: only PUBREL is resent.
      restart(PersistenceConfig.Durability.SYNC);
    }
    try (RawClient third = client(broker, "inflight", false, true)) {
      PubRel rel = third.read(PubRel.class);
      assertThat(rel.packetId()).isEqualTo(packetId);
      third.send(PubComp.of(packetId));
      assertThat(third.isClosedWithin(java.time.Duration.ofMillis(300))).isFalse();
    }
  }

  @Test
  void inboundQos2StateSurvives() throws Exception {
    start(PersistenceConfig.Durability.SYNC);
    try (RawClient sub = client(broker, "watcher", false, false)) {
      subscribeTo(sub, "in/#", QoS.AT_LEAST_ONCE);
      sub.send(Disconnect.NORMAL);
    }
    RawClient pub = client(broker, "qos2pub", false, false);
    pub.send(publish("in/1", "x", QoS.EXACTLY_ONCE, 42));
    pub.read(PubRec.class);
    restart(PersistenceConfig.Durability.SYNC);
    pub.close();
    try (RawClient again = client(broker, "qos2pub", false, true)) {
      // The resent PUBLISH (DUP) is recognised: not routed a second time.
      again.send(
          new Publish(
              "in/1",
              QoS.EXACTLY_ONCE,
              false,
              true,
              42,
              Properties.EMPTY,
              Unpooled.copiedBuffer("x", StandardCharsets.UTF_8)));
      again.read(PubRec.class);
      again.send(PubRel.of(42));
      again.read(PubComp.class);
    }
    try (RawClient sub = client(broker, "watcher", false, true)) {
      Publish p = sub.read(Publish.class);
      assertThat(text(p)).isEqualTo("x");
      sub.send(PubAck.of(p.packetId()));
      assertThat(sub.isClosedWithin(java.time.Duration.ofMillis(500))).isFalse();
    }
  }

  @Test
  void aDelayedWillWaitingAtShutdownIsPublishedAfterTheRestart() throws Exception {
    start(PersistenceConfig.Durability.SYNC);
    try (RawClient sub = client(broker, "will-watcher", false, false)) {
      subscribeTo(sub, "will/#", QoS.AT_LEAST_ONCE);
      sub.send(Disconnect.NORMAL);
    }
    RawClient dier = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5);
    Properties willProps = Properties.builder().add(PropertyId.WILL_DELAY_INTERVAL, 1L).build();
    dier.send(
        new Connect(
            MqttVersion.V5,
            "dier",
            false,
            60,
            null,
            null,
            new Will(
                "will/dier",
                BinaryData.of("gone".getBytes(StandardCharsets.UTF_8)),
                QoS.AT_LEAST_ONCE,
                false,
                willProps),
            Properties.builder().add(PropertyId.SESSION_EXPIRY_INTERVAL, 600L).build()));
    dier.read(ConnAck.class);
    dier.close(); // no DISCONNECT: the will is due in a second
    Broker first = broker;
    await().atMost(Duration.ofSeconds(5)).until(() -> !first.sessions().get("dier").isOnline());
    // Stopped before the delay passed: no will now, and none lost.
    restart(PersistenceConfig.Durability.SYNC);

    try (RawClient sub = client(broker, "will-watcher", false, true)) {
      Publish p = (Publish) sub.read(Duration.ofSeconds(10));
      assertThat(text(p)).isEqualTo("gone");
      assertThat(p.topic()).isEqualTo("will/dier");
      sub.send(PubAck.of(p.packetId()));
    }
  }
}
