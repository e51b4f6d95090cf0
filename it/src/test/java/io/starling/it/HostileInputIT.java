package io.starling.it;

import static io.starling.it.ItSupport.options;
import static io.starling.it.ItSupport.paho;
import static io.starling.it.ItSupport.text;
import static io.starling.it.ItSupport.uniqueId;
import static io.starling.it.ItSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.PingResp;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionFactory;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What real clients never send, written byte by byte on raw sockets. Whatever one socket sends, the
 * broker closes that connection (or answers with a refusal CONNACK first, where the specification
 * asks for one) and keeps serving everyone else: after every case a new connection is accepted, and
 * clients connected since the start are still connected and get a QoS 1 round trip.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostileInputIT {
  /** The strict broker's packet limit: small enough that a 1 MiB header is plainly over it. */
  private static final int MAX_PACKET_BYTES = 1024;

  /** How long the broker may take to close a connection that sent something it refuses. */
  private static final Duration CLOSE_BOUND = Duration.ofSeconds(2);

  /** Default 10 s connect timeout (so it cannot be what closes a case), 1 KiB packets. */
  private static Broker strict;

  /** 1 s connect timeout, default 1 MiB packets: for timeouts and slow senders. */
  private static Broker impatient;

  /** Connected to the strict broker for the whole class, subscribed to {@code health/#}. */
  private static MqttClient bystander;

  private static final Set<String> bystanderGot = ConcurrentHashMap.newKeySet();

  /** Long-lived Paho clients that do a QoS 1 round trip after every case, one per broker. */
  private static final Map<Broker, MqttClient> healthClients = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws MqttException {
    strict = TestBroker.start(config(MAX_PACKET_BYTES, 10));
    impatient = TestBroker.start(config(1 << 20, 1));
    bystander = paho(strict.port(), uniqueId("bystander"));
    bystander.connect(options(true));
    bystander.subscribe("health/#", 1, (topic, m) -> bystanderGot.add(topic));
    for (Broker b : List.of(strict, impatient)) {
      MqttClient c = paho(b.port(), uniqueId("health"));
      c.connect(options(true));
      healthClients.put(b, c);
    }
  }

  private static BrokerConfig config(int maxPacketSizeBytes, int connectTimeoutSeconds) {
    Limits d = Limits.DEFAULT;
    return BrokerConfig.defaults()
        .withSys(new BrokerConfig.Sys(1))
        .withLimits(
            d.toBuilder()
                .maxPacketSizeBytes(maxPacketSizeBytes)
                .connectTimeoutSeconds(connectTimeoutSeconds)
                .build());
  }

  @AfterAll
  static void stop() {
    dispose(bystander);
    healthClients.values().forEach(HostileInputIT::dispose);
    if (strict != null) {
      strict.close();
    }
    if (impatient != null) {
      impatient.close();
    }
  }

  // ---- the table ----------------------------------------------------------------------------

  /** When the hostile bytes are written. */
  enum Phase {
    /** As the very first bytes on the socket. */
    FIRST,
    /** After a valid 3.1.1 CONNECT has been answered with CONNACK 0. */
    AFTER_CONNACK,
    /** In the same write as a valid CONNECT, before its CONNACK is read. */
    PIPELINED
  }

  /** One row: a name for the report, when to send, and what. */
  record Hostile(String name, Phase phase, byte[] bytes) {
    @Override
    public String toString() {
      return name + " (" + phase + ": " + HexFormat.ofDelimiter(" ").formatHex(head()) + ")";
    }

    private byte[] head() {
      return bytes.length <= 12 ? bytes : Arrays.copyOf(bytes, 12);
    }
  }

  static Stream<Hostile> hostileInputs() {
    List<Hostile> t = new ArrayList<>();
    // -- instead of CONNECT, or a CONNECT that is not one [MQTT-3.1.0-1] --
    first(t, "PUBLISH before CONNECT", frame(0x30, str("a"), ascii("hi")));
    first(t, "PINGREQ before CONNECT", hex("C0 00"));
    first(t, "SUBSCRIBE before CONNECT", frame(0x82, u16(1), str("a"), hex("01")));
    first(t, "CONNACK from a client before CONNECT", hex("20 02 00 00"));
    first(t, "packet type 0 before CONNECT", hex("00 00"));
    first(t, "AUTH (type 15) before CONNECT", hex("F0 00"));
    // Known after one byte: not held until the connect timeout (10 s on this broker), nor until
    // the 69 bytes that "E" (0x45) as a remaining length would announce.
    first(t, "an HTTP request instead of CONNECT", ascii("GET / HTTP/1.1\r\n"));
    first(t, "one byte that cannot begin a CONNECT", hex("47"));
    first(t, "5-byte remaining length before CONNECT", hex("10 FF FF FF FF 7F"));
    first(
        t,
        "CONNECT over the max packet size, fixed header only (1 MiB)",
        hex("10", "80 80 40")); // 0x100000, no body follows
    first(t, "CONNECT with protocol name MQTX", connect("MQTX", 4, 0x02, str("bad-name")));
    first(t, "CONNECT with fixed-header flags 0001", connectWithFirstByte(0x11));
    first(t, "CONNECT with reserved flag bit 0 [MQTT-3.1.2-3]", connect("MQTT", 4, 0x03, str("r")));
    first(
        t,
        "CONNECT with password but no user name [MQTT-3.1.2-22]",
        connect("MQTT", 4, 0x42, str("pw"), str("secret")));
    first(
        t,
        "CONNECT with will QoS 3 [MQTT-3.1.2-14]",
        connect("MQTT", 4, 0x1E, str("wq3"), str("will/t"), str("bye")));
    first(
        t,
        "CONNECT with will retain but no will [MQTT-3.1.2-15]",
        connect("MQTT", 4, 0x22, str("wr")));
    first(
        t,
        "CONNECT whose client id runs past the packet",
        frame(0x10, str("MQTT"), hex("04 02 00 3C"), u16(10), ascii("ab")));
    first(
        t,
        "CONNECT with ill-formed UTF-8 client id (overlong C0 AF)",
        connect("MQTT", 4, 0x02, utf8Field(0x61, 0xC0, 0xAF)));

    // -- malformed fixed headers once connected --
    after(t, "PUBREL with flags 0000 [MQTT-3.6.1-1]", hex("60 02 00 01"));
    after(t, "SUBSCRIBE with flags 0000 [MQTT-3.8.1-1]", frame(0x80, u16(1), str("a"), hex("01")));
    after(t, "UNSUBSCRIBE with flags 0000 [MQTT-3.10.1-1]", frame(0xA0, u16(1), str("a")));
    after(t, "PINGREQ with flags 0001", hex("C1 00"));
    after(t, "PUBACK with flags 0010", hex("42 02 00 01"));
    after(t, "CONNACK sent by a client", hex("20 02 00 00"));
    after(t, "packet type 0", hex("00 00"));
    after(t, "AUTH (type 15) in 3.1.1", hex("F0 00"));
    after(t, "5-byte remaining length", hex("30 FF FF FF FF 7F"));
    after(t, "PUBLISH over the max packet size, fixed header only (1 MiB)", hex("30", "80 80 40"));
    after(t, "trailing bytes after PINGREQ", hex("C0 01 00"));
    after(t, "DISCONNECT with a body", hex("E0 01 00"));
    after(t, "a second CONNECT [MQTT-3.1.0-2]", connect("MQTT", 4, 0x02, str("second")));

    // -- PUBLISH --
    after(t, "PUBLISH topic with + [MQTT-3.3.2-2]", frame(0x30, str("a/+/b"), ascii("x")));
    after(t, "PUBLISH topic with # [MQTT-3.3.2-2]", frame(0x30, str("a/#"), ascii("x")));
    after(t, "PUBLISH topic # alone", frame(0x32, str("#"), u16(7), ascii("x")));
    after(t, "PUBLISH with QoS 3 [MQTT-3.3.1-4]", frame(0x36, str("a"), u16(1), ascii("x")));
    after(t, "PUBLISH QoS 0 with DUP [MQTT-3.3.1-2]", frame(0x38, str("a"), ascii("x")));
    after(t, "PUBLISH QoS 1 with packet id 0 [MQTT-2.3.1-1]", frame(0x32, str("a"), u16(0)));
    after(t, "PUBLISH QoS 2 with packet id 0 [MQTT-2.3.1-1]", frame(0x34, str("a"), u16(0)));
    after(t, "PUBLISH with empty topic [MQTT-4.7.3-1]", frame(0x30, u16(0), ascii("x")));
    after(
        t,
        "PUBLISH topic overlong UTF-8 C0 AF [MQTT-1.5.3-1]",
        frame(0x30, utf8Field(0x61, 0x2F, 0xC0, 0xAF), ascii("x")));
    after(
        t,
        "PUBLISH topic overlong NUL C0 80 [MQTT-1.5.3-1]",
        frame(0x30, utf8Field(0x61, 0xC0, 0x80), ascii("x")));
    after(
        t,
        "PUBLISH topic surrogate ED A0 80 [MQTT-1.5.3-1]",
        frame(0x30, utf8Field(0x61, 0xED, 0xA0, 0x80), ascii("x")));
    after(
        t,
        "PUBLISH topic with U+0000 [MQTT-1.5.3-2]",
        frame(0x30, utf8Field(0x61, 0x00, 0x62), ascii("x")));
    after(
        t,
        "PUBLISH topic truncated UTF-8 sequence E2 82",
        frame(0x30, utf8Field(0x61, 0xE2, 0x82), ascii("x")));
    after(t, "PUBLISH topic length runs past the packet", frame(0x30, u16(50), ascii("ab")));

    // -- SUBSCRIBE, UNSUBSCRIBE, acknowledgements --
    after(t, "SUBSCRIBE filter a/#/b [MQTT-4.7.1-2]", frame(0x82, u16(1), str("a/#/b"), hex("01")));
    after(t, "SUBSCRIBE filter a+ [MQTT-4.7.1-3]", frame(0x82, u16(1), str("a+"), hex("01")));
    after(t, "SUBSCRIBE filter a/b# [MQTT-4.7.1-2]", frame(0x82, u16(1), str("a/b#"), hex("00")));
    after(
        t,
        "SUBSCRIBE filter with surrogate ED A0 80",
        frame(0x82, u16(1), utf8Field(0x61, 0xED, 0xA0, 0x80), hex("00")));
    after(t, "SUBSCRIBE with no filters [MQTT-3.8.3-3]", frame(0x82, u16(1)));
    after(
        t,
        "SUBSCRIBE with reserved option bits [MQTT-3.8.3-4]",
        frame(0x82, u16(1), str("a"), hex("04")));
    after(t, "SUBSCRIBE requesting QoS 3", frame(0x82, u16(1), str("a"), hex("03")));
    after(t, "SUBSCRIBE with packet id 0", frame(0x82, u16(0), str("a"), hex("01")));
    after(
        t,
        "SUBSCRIBE whose second filter is bad",
        frame(0x82, u16(1), str("ok/1"), hex("01"), str("x/#/y"), hex("01")));
    after(t, "UNSUBSCRIBE with no filters [MQTT-3.10.3-2]", frame(0xA2, u16(1)));
    after(t, "UNSUBSCRIBE filter a+", frame(0xA2, u16(1), str("a+")));
    after(t, "PUBACK with packet id 0", hex("40 02 00 00"));
    after(t, "PUBACK without a packet id", hex("40 00"));

    // -- bad packets right behind CONNECT, before the session is attached --
    pipelined(t, "second CONNECT right behind CONNECT", connect("MQTT", 4, 0x02, str("again")));
    pipelined(t, "wildcard PUBLISH right behind CONNECT", frame(0x30, str("a/#"), ascii("x")));
    pipelined(t, "PUBREL with flags 0000 right behind CONNECT", hex("60 02 00 01"));
    return t.stream();
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("hostileInputs")
  void closesTheConnectionAndKeepsServingOthers(Hostile c) throws Exception {
    try (RawClient raw = RawClient.connect(strict.port())) {
      switch (c.phase()) {
        case FIRST -> raw.send(c.bytes());
        case AFTER_CONNACK -> {
          raw.send(Packets.connect(uniqueId("hostile"), true));
          assertThat(raw.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
          raw.send(c.bytes());
        }
        case PIPELINED -> raw.send(concat(connectBytes(uniqueId("pipelined")), c.bytes()));
      }
      assertThat(raw.isClosedWithin(CLOSE_BOUND))
          .as("broker closes the connection within %s after: %s", CLOSE_BOUND, c)
          .isTrue();
    }
    assertServing(strict);
  }

  // ---- refusals with a CONNACK --------------------------------------------------------------

  @Test
  void unsupportedProtocolLevelGetsReturnCode1ThenClose() throws IOException {
    // [MQTT-3.1.2-2]: CONNACK 0x01 (unacceptable protocol level), then disconnect.
    byte[] answer = exchange(strict, connect("MQTT", 6, 0x02, str("level6")));
    assertThat(answer).containsExactly(hex("20 02 00 01"));
  }

  @Test
  void emptyClientIdWithoutCleanSessionGetsReturnCode2ThenClose() throws IOException {
    // [MQTT-3.1.3-8]: an empty client id with clean session 0 gets 0x02 (identifier rejected).
    byte[] answer = exchange(strict, connect("MQTT", 4, 0x00, u16(0)));
    assertThat(answer).containsExactly(hex("20 02 00 02"));
  }

  @Test
  void emptyClientIdWithCleanSessionIsAccepted() throws IOException {
    // [MQTT-3.1.3-6]: the server assigns an id of its own.
    try (RawClient raw = RawClient.connect(strict.port())) {
      raw.send(connect("MQTT", 4, 0x02, u16(0)));
      ConnAck ack = raw.read(ConnAck.class);
      assertThat(ack.reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      assertThat(ack.sessionPresent()).isFalse();
      raw.send(hex("C0 00"));
      assertThat(raw.read()).isInstanceOf(PingResp.class);
    }
  }

  @Test
  void mqtt31ClientIdOver23CharactersGetsReturnCode2() throws IOException {
    // MQTT 3.1 section 3.1: the client identifier is 1 to 23 characters.
    byte[] answer = exchange(strict, connect("MQIsdp", 3, 0x02, str("a".repeat(24))));
    assertThat(answer).containsExactly(hex("20 02 00 02"));

    // ... and 23 is still fine.
    try (RawClient raw = RawClient.connect("127.0.0.1", strict.port(), MqttVersion.V3_1)) {
      raw.send(connect("MQIsdp", 3, 0x02, str("b".repeat(23))));
      assertThat(raw.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    }
  }

  // ---- time: sockets that say nothing, or too little ----------------------------------------

  @Test
  void silentSocketIsClosedAfterTheConnectTimeout() throws IOException {
    long startNanos = System.nanoTime();
    try (RawClient raw = RawClient.connect(impatient.port())) {
      assertThat(raw.isClosedWithin(Duration.ofSeconds(4))).isTrue();
    }
    // The timer starts when the broker accepts, after our connect returned: never early.
    assertThat(Duration.ofNanos(System.nanoTime() - startNanos))
        .isGreaterThanOrEqualTo(Duration.ofMillis(900));
    assertServing(impatient);
  }

  @Test
  void halfAConnectIsClosedAfterTheConnectTimeout() throws IOException {
    try (RawClient raw = RawClient.connect(impatient.port())) {
      raw.send(hex("10 0C 00 04 4D 51")); // "MQ" of a 12-byte CONNECT, then nothing
      assertThat(raw.isClosedWithin(Duration.ofSeconds(4))).isTrue();
    }
    assertServing(impatient);
  }

  @Test
  void slowlorisAfterConnectIsClosedByKeepAliveAndNobodyElseNotices() throws IOException {
    List<RawClient> slow = new ArrayList<>();
    try {
      long sentAt = 0;
      for (int i = 0; i < 20; i++) {
        RawClient raw = RawClient.connect(impatient.port());
        slow.add(raw);
        // keep-alive 1 s: the broker closes after 1.5 s without a whole packet [MQTT-3.1.2-24]
        raw.send(connectKeepAlive(1, str(uniqueId("slowloris"))));
        assertThat(raw.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
        // a PUBLISH promising 512 KiB (under the 1 MiB limit), 5 bytes of it, then silence
        raw.send(hex("30", "80 80 20", "00 03 61 2F 62"));
        sentAt = System.nanoTime();
      }
      // While they hang, the broker serves everyone else as usual.
      assertServing(impatient);
      for (RawClient raw : slow) {
        Duration left = Duration.ofSeconds(4).minusNanos(System.nanoTime() - sentAt);
        assertThat(raw.isClosedWithin(left.isNegative() ? Duration.ZERO : left))
            .as("a stuck sender is closed by its keep-alive")
            .isTrue();
      }
    } finally {
      for (RawClient raw : slow) {
        raw.close();
      }
    }
    assertServing(impatient);
  }

  @Test
  void slowlorisBeforeConnectIsClosedByTheConnectTimeout() throws IOException {
    try (RawClient raw = RawClient.connect(impatient.port())) {
      raw.send(hex("10", "80 80 08", "00 04 4D 51")); // a 128 KiB CONNECT, 4 bytes of it
      assertServing(impatient);
      assertThat(raw.isClosedWithin(Duration.ofSeconds(4))).isTrue();
    }
  }

  @Test
  void tricklingSenderIsClosedByKeepAliveAlthoughBytesKeepComing() throws IOException {
    // Keep-alive counts whole control packets [MQTT-3.1.2-24], not bytes: a client that sends one
    // byte of a 512 KiB PUBLISH every 250 ms must not hold its connection open for 36 minutes.
    ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    try (RawClient raw = RawClient.connect(impatient.port())) {
      raw.send(connectKeepAlive(1, str(uniqueId("trickle"))));
      assertThat(raw.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      raw.send(hex("30", "80 80 20", "00 03 61 2F 62"));
      trickle.scheduleAtFixedRate(
          () -> {
            try {
              raw.send((byte) 'x');
            } catch (IOException closed) {
              throw new UncheckedIOException(closed); // ends the schedule
            }
          },
          250,
          250,
          TimeUnit.MILLISECONDS);
      assertThat(raw.isClosedWithin(Duration.ofSeconds(4))).isTrue();
    } finally {
      trickle.shutdownNow();
    }
    assertServing(impatient);
  }

  @Test
  void packetsPipelinedBehindARefusedConnectAreReleased() throws IOException {
    ByteBufAllocatorMetric memory =
        ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
    long before = memory.usedDirectMemory();
    // CONNECT with an empty client id and clean session 0 (refused with return code 2
    // [MQTT-3.1.3-8]) and, in the same write, a 100 kB QoS 0 PUBLISH (under the 1 MiB limit).
    byte[] bytes =
        concat(connect("MQTT", 4, 0x00, u16(0)), frame(0x30, str("leak"), new byte[100_000]));
    for (int i = 0; i < 100; i++) {
      try (RawClient raw = RawClient.connect(impatient.port())) {
        raw.send(bytes);
        assertThat(raw.isClosedWithin(CLOSE_BOUND)).isTrue();
      }
    }
    // Pooling keeps about 1-2 MiB whatever happens; 100 leaked 100 kB packets pin over 10 MiB.
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(memory.usedDirectMemory() - before)
                    .as("direct memory still in use after 100 refused connections")
                    .isLessThan(8L << 20));
    assertServing(impatient);
  }

  // ---- volume ----------------------------------------------------------------------------

  @Test
  void twoHundredGarbageSocketsLeaveTheBrokerHealthy() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        Random random = new Random(20_240_501L + w); // fixed seeds: a failure can be replayed
        workers.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 50; i++) {
                    sendGarbage(random, i);
                  }
                  return null;
                }));
      }
      for (Future<?> f : workers) {
        f.get(20, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    // Every garbage connection is gone, counted out, and the broker still routes. Every test
    // closes its own clients, so only the two that live for the whole class (the bystander and
    // the health client) stay counted; a count read at the start could have included the
    // previous test's last client, not yet seen closing.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(strict.stats().clientsConnected.get()).isEqualTo(2));
    assertServing(strict);
  }

  /**
   * One socket of garbage: random bytes, half the time behind a valid CONNECT so that they reach
   * the connected state machine too. Our side closes abruptly afterwards; the broker may already
   * have closed its side, so write errors are expected.
   */
  private static void sendGarbage(Random random, int i) throws IOException {
    byte[] junk = new byte[1 + random.nextInt(300)];
    random.nextBytes(junk);
    byte[] bytes = i % 2 == 0 ? junk : concat(connectBytes(uniqueId("garbage")), junk);
    try (RawClient raw = RawClient.connect(strict.port())) {
      try {
        raw.send(bytes);
        raw.isClosedWithin(Duration.ofMillis(20));
      } catch (IOException expected) {
        // closed by the broker mid-write
      }
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  /**
   * The broker is healthy: a new connection is accepted and answers PINGREQ; a Paho client
   * connected since the start is still connected and gets a QoS 1 round trip through a fresh
   * subscription; on the strict broker, the bystander (subscribed to {@code health/#}) is still
   * connected and receives that message too.
   */
  private static void assertServing(Broker broker) {
    try (RawClient fresh = RawClient.connect(broker.port())) {
      fresh.send(Packets.connect(uniqueId("fresh"), true));
      assertThat(fresh.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      fresh.send(hex("C0 00"));
      assertThat(fresh.read()).isInstanceOf(PingResp.class);
      fresh.send(hex("E0 00")); // DISCONNECT: leave politely
      assertThat(fresh.isClosedWithin(CLOSE_BOUND)).isTrue();
    } catch (IOException e) {
      throw new AssertionError("a new connection failed: " + e, e);
    }
    MqttClient c = healthClients.get(broker);
    assertThat(c.isConnected()).as("a client connected before is still connected").isTrue();
    String topic = "health/" + uniqueId("rt");
    List<String> got = new CopyOnWriteArrayList<>();
    try {
      c.subscribe(topic, 1, (t, m) -> got.add(text(m.getPayload())));
      c.publish(topic, utf8("ok"), 1, false);
      quickly().until(() -> got.contains("ok"));
      c.unsubscribe(topic);
    } catch (MqttException e) {
      throw new AssertionError("QoS 1 round trip failed: " + e, e);
    }
    if (broker == strict) {
      quickly().until(() -> bystanderGot.contains(topic));
      assertThat(bystander.isConnected()).as("the bystander is still connected").isTrue();
    }
  }

  /** Up to 5 s, polling often: the healthy path is fast and runs after every case. */
  private static ConditionFactory quickly() {
    return await()
        .atMost(Duration.ofSeconds(5))
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(5));
  }

  private static void dispose(MqttClient c) {
    if (c == null) {
      return;
    }
    try {
      if (c.isConnected()) {
        c.disconnect(0);
      }
      c.close(true);
    } catch (MqttException e) {
      // already gone
    }
  }

  /**
   * Writes {@code bytes} on a plain socket and returns everything the broker sends until it closes
   * the connection, which it must do within {@link #CLOSE_BOUND}.
   */
  private static byte[] exchange(Broker broker, byte[] bytes) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", broker.port()), 5000);
      s.setSoTimeout((int) CLOSE_BOUND.toMillis());
      s.getOutputStream().write(bytes);
      s.getOutputStream().flush();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      InputStream in = s.getInputStream();
      try {
        for (int b; (b = in.read()) >= 0; ) {
          answer.write(b);
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError(
            "not closed within "
                + CLOSE_BOUND
                + "; received "
                + HexFormat.ofDelimiter(" ").formatHex(answer.toByteArray()),
            e);
      }
      return answer.toByteArray();
    }
  }

  private static void first(List<Hostile> t, String name, byte[] bytes) {
    t.add(new Hostile(name, Phase.FIRST, bytes));
  }

  private static void after(List<Hostile> t, String name, byte[] bytes) {
    t.add(new Hostile(name, Phase.AFTER_CONNACK, bytes));
  }

  private static void pipelined(List<Hostile> t, String name, byte[] bytes) {
    t.add(new Hostile(name, Phase.PIPELINED, bytes));
  }

  /** A valid 3.1.1 CONNECT, clean session, keep-alive 60. */
  private static byte[] connectBytes(String clientId) {
    return connect("MQTT", 4, 0x02, str(clientId));
  }

  /**
   * A CONNECT with keep-alive 60 and the payload fields given.
   *
   * <pre>
   *   10 len | protocol name | level | flags | keep-alive (00 3C) | payload...
   * </pre>
   */
  private static byte[] connect(String protocolName, int level, int flags, byte[]... payload) {
    return frame(
        0x10, str(protocolName), new byte[] {(byte) level, (byte) flags}, u16(60), concat(payload));
  }

  /** A valid 3.1.1 CONNECT, clean session, with the keep-alive given. */
  private static byte[] connectKeepAlive(int keepAliveSeconds, byte[] clientId) {
    return frame(0x10, str("MQTT"), hex("04 02"), u16(keepAliveSeconds), clientId);
  }

  /** A valid CONNECT except for the first byte. */
  private static byte[] connectWithFirstByte(int firstByte) {
    byte[] bytes = connectBytes("flags");
    bytes[0] = (byte) firstByte;
    return bytes;
  }

  /** A whole packet: first byte, remaining length computed from the fields, the fields. */
  private static byte[] frame(int firstByte, byte[]... fields) {
    byte[] body = concat(fields);
    return concat(new byte[] {(byte) firstByte}, varInt(body.length), body);
  }

  private static byte[] varInt(int value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    do {
      int b = value % 128;
      value /= 128;
      out.write(value > 0 ? b | 0x80 : b);
    } while (value > 0);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** A UTF-8 string field: two-byte length, then the bytes. */
  private static byte[] str(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return concat(u16(b.length), b);
  }

  /** A string field holding exactly these bytes, well-formed UTF-8 or not. */
  private static byte[] utf8Field(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return concat(u16(b.length), b);
  }

  private static byte[] u16(int v) {
    return new byte[] {(byte) (v >> 8), (byte) v};
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] hex(String... fields) {
    return HexFormat.of().parseHex(String.join("", fields).replace(" ", ""));
  }
}
