package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.Unpooled;
import io.starling.broker.Broker;
import io.starling.broker.config.ConfigLoader;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.codec.packet.UnsubAck;
import io.starling.codec.packet.Unsubscribe;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Broker-wide state has limits (issue #15, items 8 and 2): retained messages by count and bytes,
 * bytes queued per session, topic filter bytes per client, an expiry for 3.1.1 persistent sessions,
 * 3.1.1 clients' unreleased QoS 2 messages, and retained-tree walks that no topic depth can push
 * off the stack. Each case runs its own broker, configured through the YAML keys, over raw sockets;
 * the refusals are read back from {@code $SYS} and memory from the broker's own figures.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StateCapsIT {
  private static final Duration BOUND = Duration.ofSeconds(10);

  private Broker broker;
  private final List<RawClient> raws = new ArrayList<>();

  private void start(String yaml) throws Exception {
    broker = TestBroker.start(ConfigLoader.parse(yaml + "sys:\n  interval_seconds: 1\n", "caps"));
  }

  @AfterEach
  void stop() {
    for (RawClient c : raws) {
      try {
        c.close();
      } catch (IOException e) {
        // closed by the broker or the test already
      }
    }
    if (broker != null) {
      broker.close();
    }
  }

  // ---- retained messages --------------------------------------------------------------------

  @Test
  void retainedMessagesOverTheCountAreNotKeptAndA5PublisherIsToldQuotaExceeded() throws Exception {
    start("limits:\n  max_retained_messages: 3\n");
    RawClient live = client(uniqueId("live"), MqttVersion.V3_1_1, true);
    subscribe(live, "r/#");
    RawClient p5 = client(uniqueId("p5"), MqttVersion.V5, true);
    for (int i = 1; i <= 3; i++) {
      p5.send(retained("r/" + i, "v" + i, QoS.AT_LEAST_ONCE, i));
      assertThat(p5.read(PubAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    }
    // A fourth topic: PUBACK 0x97 for QoS 1, PUBREC 0x97 for QoS 2, and neither is routed.
    p5.send(retained("r/4", "v4", QoS.AT_LEAST_ONCE, 4));
    assertThat(p5.read(PubAck.class).reasonCode()).isEqualTo(ReasonCode.QUOTA_EXCEEDED);
    p5.send(retained("r/5", "v5", QoS.EXACTLY_ONCE, 5));
    assertThat(p5.read(PubRec.class).reasonCode()).isEqualTo(ReasonCode.QUOTA_EXCEEDED);
    p5.send(Packets.publish5("r/marker", "m", QoS.AT_LEAST_ONCE, 6, Properties.EMPTY));
    assertThat(p5.read(PubAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    assertThat(topicsUntil(live, "r/marker")).containsExactly("r/1", "r/2", "r/3");
    // 3.1.1 cannot be told: its message goes to the subscribers and is not kept.
    RawClient p3 = client(uniqueId("p3"), MqttVersion.V3_1_1, true);
    p3.send(retained("r/6", "v6", QoS.AT_LEAST_ONCE, 1));
    p3.read(PubAck.class);
    assertThat(topicsUntil(live, "r/6")).isEmpty();
    // Replacing a kept message takes no new slot.
    p5.send(retained("r/1", "v1b", QoS.AT_LEAST_ONCE, 7));
    assertThat(p5.read(PubAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    assertThat(retainedFor("r/#")).containsExactly(Map.entry("r/1", "v1b"), r("r/2"), r("r/3"));
    awaitSys("limits/retained/refused", v -> v == 3);
  }

  @Test
  void retainedBytesAreBoundedAndAnOversizedReplacementClearsItsTopic() throws Exception {
    start("limits:\n  max_retained_bytes: 1MiB\n");
    RawClient p5 = client(uniqueId("p5"), MqttVersion.V5, true);
    p5.send(retained("b/1", payload(600 << 10), QoS.AT_LEAST_ONCE, 1));
    assertThat(p5.read(PubAck.class).reasonCode()).isEqualTo(ReasonCode.NO_MATCHING_SUBSCRIBERS);
    p5.send(retained("b/2", payload(600 << 10), QoS.AT_LEAST_ONCE, 2));
    assertThat(p5.read(PubAck.class).reasonCode()).isEqualTo(ReasonCode.QUOTA_EXCEEDED);
    // A 3.1.1 client floods 200 retained topics of 100 KiB (20 MB): a few fit, the rest are
    // refused, and the broker's own figure for retained bytes stays under the limit.
    RawClient flood = client(uniqueId("flood"), MqttVersion.V3_1_1, true);
    for (int i = 0; i < 200; i++) {
      flood.send(retained("f/" + i, payload(100 << 10), QoS.AT_MOST_ONCE, 0));
    }
    fence(flood);
    awaitSys("limits/retained/refused", v -> v >= 190);
    assertThat(sys("retained messages/bytes")).isLessThan(2L << 20);
    assertThat(retainedFor("b/#")).containsOnlyKeys("b/1");
    // Replacing b/1 with more than fits leaves no retained message there, not the stale one.
    flood.send(retained("b/1", payload(900 << 10), QoS.AT_LEAST_ONCE, 1));
    flood.read(PubAck.class);
    assertThat(retainedFor("b/#")).isEmpty();
  }

  // ---- bytes queued per session -------------------------------------------------------------

  @Test
  void anOfflineSessionQueuesNoMoreThanItsBytesAndTheOverflowPolicyPicksWhich() throws Exception {
    start("limits:\n  max_queued_bytes: 1MiB\n");
    String id = uniqueId("queued");
    RawClient sub = client(id, MqttVersion.V3_1_1, false);
    sub.send(Packets.subscribe(1, "q/#", QoS.AT_LEAST_ONCE));
    sub.read(SubAck.class);
    sub.send(Disconnect.NORMAL);
    await().atMost(BOUND).until(() -> !broker.sessions().get(id).isOnline());
    ByteBufAllocatorMetric memory =
        ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
    long before = memory.usedDirectMemory();
    // 400 QoS 1 messages of 100 KiB (40 MB) for the offline session: under the count limit
    // (1,000), far over the byte limit.
    RawClient pub = client(uniqueId("pub"), MqttVersion.V3_1_1, true);
    for (int i = 0; i < 400; i++) {
      pub.send(
          new Publish(
              "q/" + i,
              QoS.AT_LEAST_ONCE,
              false,
              false,
              i + 1,
              Properties.EMPTY,
              Unpooled.wrappedBuffer(new byte[100 << 10])));
      pub.read(PubAck.class);
    }
    // The payloads of queued messages are slices of the read buffers (direct memory): 40 MB
    // would stay pinned without the byte limit; pooling keeps a few MiB whatever happens.
    await()
        .atMost(BOUND)
        .untilAsserted(
            () ->
                assertThat(memory.usedDirectMemory() - before)
                    .as("direct memory held for one offline session")
                    .isLessThan(8L << 20));
    awaitSys("limits/queued_bytes/dropped", v -> v == 390);
    assertThat(sys("store/messages/bytes")).isBetween(1L, 1L << 20);
    // drop_new (the default): the first ten (10 x 100 KiB and their topics fit 1 MiB) are kept.
    RawClient back = client(id, MqttVersion.V3_1_1, false);
    List<String> got = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      MqttPacket p;
      try {
        p = back.read(Duration.ofSeconds(1));
      } catch (SocketTimeoutException quiet) {
        break;
      }
      if (p instanceof Publish m) {
        got.add(m.topic());
        back.send(PubAck.of(m.packetId()));
        m.release();
      }
    }
    assertThat(got)
        .containsExactly("q/0", "q/1", "q/2", "q/3", "q/4", "q/5", "q/6", "q/7", "q/8", "q/9");
  }

  // ---- topic filter bytes per client ---------------------------------------------------------

  @Test
  void aClientsFilterBytesAreCappedWithQuotaExceededIn5AndFailureIn311() throws Exception {
    start("limits:\n  max_subscription_bytes: 1KiB\n");
    String a = "a/" + "x".repeat(600);
    String b = "b/" + "y".repeat(600);
    Subscribe both =
        new Subscribe(
            1,
            List.of(Subscription.of(a, QoS.AT_MOST_ONCE), Subscription.of(b, QoS.AT_MOST_ONCE)),
            Properties.EMPTY);
    RawClient c5 = client(uniqueId("f5"), MqttVersion.V5, true);
    c5.send(both);
    assertThat(c5.read(SubAck.class).reasonCodes())
        .containsExactly(ReasonCode.SUCCESS, ReasonCode.QUOTA_EXCEEDED);
    // The same filter again costs nothing more; an unsubscribed one gives its bytes back.
    c5.send(Packets.subscribe(2, a, QoS.AT_LEAST_ONCE));
    assertThat(c5.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.GRANTED_QOS_1);
    c5.send(new Unsubscribe(3, List.of(a), Properties.EMPTY));
    c5.read(UnsubAck.class);
    c5.send(Packets.subscribe(4, b, QoS.AT_MOST_ONCE));
    assertThat(c5.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.SUCCESS);
    RawClient c3 = client(uniqueId("f3"), MqttVersion.V3_1_1, true);
    c3.send(both);
    assertThat(c3.read(SubAck.class).reasonCodes())
        .containsExactly(ReasonCode.SUCCESS, ReasonCode.UNSPECIFIED_ERROR); // 0x80
    awaitSys("limits/subscription_bytes/refused", v -> v == 2);
  }

  // ---- 3.1.1 persistent sessions expire --------------------------------------------------------

  @Test
  void a311PersistentSessionExpiresAfterTheConfiguredTime() throws Exception {
    start("mqtt:\n  persistent_session_expiry_seconds: 1\n");
    String id = uniqueId("expiring");
    RawClient c = client(id, MqttVersion.V3_1_1, false);
    subscribe(c, "e/#");
    c.send(Disconnect.NORMAL);
    await().atMost(BOUND).until(() -> broker.sessions().get(id) == null);
    awaitSys("sessions/expired", v -> v == 1);
    RawClient back = open(MqttVersion.V3_1_1);
    back.send(Packets.connect(id, false));
    assertThat(back.read(ConnAck.class).sessionPresent()).isFalse();
  }

  @Test
  void a311PersistentSessionIsStillKeptByDefault() throws Exception {
    start("");
    String id = uniqueId("kept");
    RawClient c = client(id, MqttVersion.V3_1_1, false);
    c.send(Disconnect.NORMAL);
    await().atMost(BOUND).until(() -> !broker.sessions().get(id).isOnline());
    RawClient back = open(MqttVersion.V3_1_1);
    back.send(Packets.connect(id, false));
    assertThat(back.read(ConnAck.class).sessionPresent()).isTrue();
  }

  // ---- 3.1.1 inbound QoS 2 ---------------------------------------------------------------------

  @Test
  void a311ClientWithMoreUnreleasedQos2MessagesThanTheReceiveMaximumIsClosed() throws Exception {
    start("mqtt:\n  receive_maximum: 5\n");
    RawClient c = client(uniqueId("qos2"), MqttVersion.V3_1_1, true);
    for (int id = 1; id <= 5; id++) {
      c.send(Packets.publish("t", "x", QoS.EXACTLY_ONCE, id));
      assertThat(c.read(PubRec.class).packetId()).isEqualTo(id);
    }
    // A resend of one already held is not a new one [MQTT-4.3.3-2].
    c.send(
        new Publish(
            "t",
            QoS.EXACTLY_ONCE,
            false,
            true,
            3,
            Properties.EMPTY,
            Unpooled.copiedBuffer("x", StandardCharsets.UTF_8)));
    assertThat(c.read(PubRec.class).packetId()).isEqualTo(3);
    c.send(Packets.publish("t", "x", QoS.EXACTLY_ONCE, 6));
    assertThat(c.isClosedWithin(BOUND)).isTrue();
    awaitSys("limits/inbound_qos2/disconnected", v -> v == 1);
    // A client that releases what it sends is never held back.
    RawClient good = client(uniqueId("good"), MqttVersion.V3_1_1, true);
    for (int id = 1; id <= 20; id++) {
      good.send(Packets.publish("t", "x", QoS.EXACTLY_ONCE, id));
      good.read(PubRec.class);
      good.send(PubRel.of(id));
      good.read(PubComp.class);
    }
    fence(good);
  }

  // ---- deep topics: walks that do not recurse --------------------------------------------------

  @Test
  void aRetainedMessageOn32000LevelsReachesAHashSubscriberAndAnExactOne() throws Exception {
    start("limits:\n  max_topic_levels: 40000\n");
    String deep = "a/".repeat(31_999) + "a"; // 32,000 levels, 63,999 bytes
    RawClient p = client(uniqueId("deep-pub"), MqttVersion.V3_1_1, true);
    p.send(retained(deep, "deep", QoS.AT_LEAST_ONCE, 1));
    p.read(PubAck.class);
    // '#' walks the whole retained tree: 32,000 levels down.
    RawClient hash = client(uniqueId("hash"), MqttVersion.V3_1_1, true);
    hash.send(Packets.subscribe(1, "#", QoS.AT_MOST_ONCE));
    hash.read(SubAck.class);
    Publish got = hash.read(Publish.class);
    assertThat(got.topic()).isEqualTo(deep);
    assertThat(Packets.text(got)).isEqualTo("deep");
    fence(hash);
    // An exact subscription as deep: the subscription tree is walked as far for each PUBLISH.
    RawClient exact = client(uniqueId("exact"), MqttVersion.V3_1_1, true);
    exact.send(Packets.subscribe(1, deep, QoS.AT_MOST_ONCE));
    assertThat(exact.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.SUCCESS);
    assertThat(exact.read(Publish.class).retained()).isTrue();
    p.send(Packets.publish(deep, "live", QoS.AT_LEAST_ONCE, 2));
    p.read(PubAck.class);
    assertThat(Packets.text(exact.read(Publish.class))).isEqualTo("live");
    fence(p);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private RawClient open(MqttVersion version) throws IOException {
    RawClient c = RawClient.connect("127.0.0.1", broker.port(), version);
    raws.add(c);
    return c;
  }

  private RawClient client(String id, MqttVersion version, boolean clean) throws IOException {
    RawClient c = open(version);
    c.send(
        version == MqttVersion.V5
            ? Packets.connect5(id, clean, 60, null, Properties.EMPTY)
            : Packets.connect(id, clean));
    assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    return c;
  }

  private static void subscribe(RawClient c, String filter) throws IOException {
    c.send(Packets.subscribe(1, filter, QoS.AT_MOST_ONCE));
    assertThat(c.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.SUCCESS);
  }

  private static Publish retained(String topic, String payload, QoS qos, int packetId) {
    return new Publish(
        topic,
        qos,
        true,
        false,
        qos == QoS.AT_MOST_ONCE ? 0 : packetId,
        Properties.EMPTY,
        Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8));
  }

  private static String payload(int bytes) {
    return "p".repeat(bytes);
  }

  private static Map.Entry<String, String> r(String topic) {
    return Map.entry(topic, "v" + topic.substring(topic.indexOf('/') + 1));
  }

  /** PINGREQ, and the PINGRESP after whatever the broker sent before it: all processed. */
  private static void fence(RawClient c) throws IOException {
    c.send(PingReq.INSTANCE);
    for (int i = 0; i < 1000; i++) {
      MqttPacket p = c.read();
      if (p instanceof PingResp) {
        return;
      }
    }
    throw new AssertionError("no PINGRESP");
  }

  /** The topics a subscriber gets before {@code last} (which it then got too). */
  private static List<String> topicsUntil(RawClient c, String last) throws IOException {
    List<String> topics = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      Publish p = c.read(Publish.class);
      if (p.topic().equals(last)) {
        return topics;
      }
      topics.add(p.topic());
    }
    throw new AssertionError("never got " + last + "; got " + topics);
  }

  /** The retained messages a new subscription to {@code filter} gets: topic to payload. */
  private Map<String, String> retainedFor(String filter) throws IOException {
    try (RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V3_1_1)) {
      c.send(Packets.connect(uniqueId("late"), true));
      c.read(ConnAck.class);
      subscribe(c, filter);
      c.send(PingReq.INSTANCE); // the retained messages are written before its PINGRESP
      Map<String, String> got = new LinkedHashMap<>();
      for (int i = 0; i < 1000; i++) {
        MqttPacket p = c.read();
        if (p instanceof PingResp) {
          return got;
        }
        Publish m = (Publish) p;
        got.put(m.topic(), Packets.text(m));
      }
      throw new AssertionError("no PINGRESP");
    }
  }

  /** The current value of {@code $SYS/broker/<name>}, as a new subscriber gets it. */
  private long sys(String name) throws IOException {
    try (RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V3_1_1)) {
      c.send(Packets.connect(uniqueId("sys"), true));
      c.read(ConnAck.class);
      subscribe(c, "$SYS/broker/" + name);
      return Long.parseLong(Packets.text(c.read(Publish.class)));
    }
  }

  /** Waits until {@code $SYS/broker/<name>} (published every second) satisfies {@code check}. */
  private void awaitSys(String name, LongPredicate check) {
    await()
        .atMost(BOUND)
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> check.test(sys(name)));
  }
}
