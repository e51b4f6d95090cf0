package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.codec.wire.PacketEncoder;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that never read their socket (issue #15, item 1), against {@code starling broker} in a
 * process of its own with a fixed, pre-touched heap, so that its resident set size from {@code
 * /proc} tells how much memory they cost it: a client with keep-alive 0 streaming PINGREQ, one
 * streaming QoS 1 PUBLISH (replies it never takes), and an idle subscriber with keep-alive 0 that
 * stops reading its deliveries. Each must be stopped by TCP (the broker does not read it while its
 * outbound buffer is full), closed after {@code abuse.unwritable_timeout_seconds}, counted in
 * {@code $SYS}, and nobody else may notice: a well-behaved client's round trips keep working
 * throughout, and the memory watermark never trips.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SlowReaderIT {
  private static final int UNWRITABLE_TIMEOUT_SECONDS = 3;
  private static final long FLOOD_MAX_BYTES = 64L << 20;
  private static final Duration FLOOD_MAX_TIME = Duration.ofSeconds(30);

  /**
   * What the non-readers may add to the broker's peak resident set. Without the fix a flood of 64
   * MiB of PINGREQ makes the broker buffer 32 Mi PINGRESP (gigabytes); with it, each connection
   * holds one outbound buffer's high-water mark and one read's worth of replies.
   */
  private static final long RSS_GROWTH_BOUND_BYTES = 48L << 20;

  private static final String UNWRITABLE_CLOSED = "$SYS/broker/security/abuse/closed/unwritable";

  @TempDir static Path dir;
  private static BrokerProcess broker;
  private static int port;
  private static long baselineRssBytes;

  @BeforeAll
  static void start() throws Exception {
    port = freePort();
    Path config = dir.resolve("starling.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "abuse:",
            "  unwritable_timeout_seconds: " + UNWRITABLE_TIMEOUT_SECONDS,
            "sys:",
            "  interval_seconds: 1",
            ""));
    // The whole heap is resident from the start (pre-touched), so what the resident set gains
    // later is direct memory and other native memory: the broker's own figure for buffers.
    broker =
        BrokerProcess.start(
            Duration.ofSeconds(60),
            List.of(
                "-Xms192m",
                "-Xmx192m",
                "-XX:+AlwaysPreTouch",
                "-XX:MaxDirectMemorySize=192m",
                "-XX:+UseG1GC"),
            "--port",
            Integer.toString(port),
            "--config",
            config.toString());
    assertThat(broker.isAlive()).as("broker output:%n%s", broker).isTrue();
    try (HealthyClient warmUp = new HealthyClient()) {
      for (int i = 1; i <= 200; i++) {
        warmUp.roundTrip(i);
      }
    }
    baselineRssBytes = broker.status("VmRSS");
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void aClientStreamingPingReqWithoutReadingIsStoppedAndClosed() throws Exception {
    byte[] pingReqs = new byte[64 << 10];
    for (int i = 0; i < pingReqs.length; i += 2) {
      pingReqs[i] = (byte) 0xC0; // PINGREQ, remaining length 0
    }
    floodAndExpectClose(pingReqs);
  }

  @Test
  void aClientStreamingQos1PublishWithoutReadingIsStoppedAndClosed() throws Exception {
    String topic = "flood/" + uniqueId("qos1");
    ByteArrayOutputStream chunk = new ByteArrayOutputStream();
    for (int id = 1; chunk.size() < (64 << 10); id++) {
      chunk.writeBytes(encode(Packets.publish(topic, "x", QoS.AT_LEAST_ONCE, id)));
    }
    floodAndExpectClose(chunk.toByteArray());
  }

  /**
   * MQTT 3.1.1 section 3.1.2.10: keep-alive 0 turns the keep-alive off, so it stays legal and an
   * idle client that reads is never closed; but an idle subscriber with keep-alive 0 that stopped
   * reading its deliveries is closed once its outbound buffer has stayed full for the bound.
   */
  @Test
  void anIdleSubscriberWithKeepAliveZeroThatStopsReadingIsReaped() throws Exception {
    long closedBefore = sysCounter(UNWRITABLE_CLOSED);
    String topic = "fanout/" + uniqueId("stuck");
    try (RawClient idle = RawClient.connect(port);
        RawClient publisher = RawClient.connect(port);
        Socket stuck = smallBufferSocket()) {
      idle.send(keepAliveZero(uniqueId("idle")));
      assertThat(idle.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);

      OutputStream out = stuck.getOutputStream();
      out.write(encode(keepAliveZero(uniqueId("stuck"))));
      out.write(encode(Packets.subscribe(1, topic, QoS.AT_MOST_ONCE)));
      out.flush(); // and from now on reads nothing, not even CONNACK and SUBACK

      publisher.send(Packets.connect(uniqueId("publisher"), true));
      assertThat(publisher.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      // The subscription is in place once a round trip behind it has completed.
      publisher.send(PingReq.INSTANCE);
      assertThat(publisher.read()).isInstanceOf(PingResp.class);
      String payload = "p".repeat(4096);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      for (int i = 0; i < 8000 && System.nanoTime() < deadline; i++) { // at most 32 MiB
        publisher.send(Packets.publish(topic, payload, QoS.AT_MOST_ONCE, 0));
        if (i % 200 == 0) {
          publisher.send(PingReq.INSTANCE);
          assertThat(publisher.read()).isInstanceOf(PingResp.class);
        }
      }

      await()
          .atMost(Duration.ofSeconds(UNWRITABLE_TIMEOUT_SECONDS + 15))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> sysCounter(UNWRITABLE_CLOSED) > closedBefore);
      assertThat(isClosedWithin(stuck, Duration.ofSeconds(10)))
          .as("the stuck subscriber's connection is closed")
          .isTrue();
      idle.send(PingReq.INSTANCE);
      assertThat(idle.read())
          .as("an idle client with keep-alive 0 that reads stays connected")
          .isInstanceOf(PingResp.class);
    }
    assertThat(broker.isAlive()).isTrue();
  }

  // ---- the floods ---------------------------------------------------------------------------

  /**
   * Connects a client with keep-alive 0 that sends {@code chunk} over and over and never reads,
   * while a well-behaved client does QoS 1 round trips; checks that the broker stopped reading the
   * flood (TCP pushed back), closed it after the bound, counted and logged it, served the other
   * client all along and kept its memory.
   */
  private static void floodAndExpectClose(byte[] chunk) throws Exception {
    long closedBefore = sysCounter(UNWRITABLE_CLOSED);
    int roundTrips = 0;
    try (HealthyClient healthy = new HealthyClient();
        Flooder flood = new Flooder(chunk)) {
      long bound = System.nanoTime() + FLOOD_MAX_TIME.plusSeconds(30).toNanos();
      while (!flood.hasEnded() && System.nanoTime() < bound) {
        assertThat(broker.isAlive()).as("broker output:%n%s", broker).isTrue();
        healthy.roundTrip(++roundTrips); // fails if the broker stopped reading everybody
        flood.awaitEnd(Duration.ofMillis(100));
      }
      assertThat(flood.hasEnded()).as("the flood ended within its bound").isTrue();
      healthy.roundTrip(++roundTrips);

      assertThat(flood.failure)
          .as("the broker closed the client that never reads (%d bytes sent)", flood.sentBytes)
          .isNotNull();
      assertThat(flood.sentBytes)
          .as("the broker stopped reading it before the whole flood was sent")
          .isLessThan(FLOOD_MAX_BYTES);
      // Its writes blocked (TCP pushed back: the broker stopped reading it) until it was closed.
      long stuckMillis = TimeUnit.NANOSECONDS.toMillis(flood.endNanos - flood.lastProgressNanos);
      assertThat(stuckMillis)
          .as(
              "closed after abuse.unwritable_timeout_seconds, not before (%s); broker output:%n%s",
              flood.failure, broker)
          .isBetween(
              TimeUnit.SECONDS.toMillis(UNWRITABLE_TIMEOUT_SECONDS) - 1000,
              TimeUnit.SECONDS.toMillis(UNWRITABLE_TIMEOUT_SECONDS) + 5000);
    }
    assertThat(roundTrips).isGreaterThan(UNWRITABLE_TIMEOUT_SECONDS);
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> sysCounter(UNWRITABLE_CLOSED) > closedBefore);
    assertThat(broker.contains("closed: it did not read what it was sent"))
        .as("logged; broker output:%n%s", broker)
        .isTrue();
    long peak = broker.status("VmHWM");
    assertThat(peak - baselineRssBytes)
        .as("growth of the broker's peak resident set (baseline %d KiB)", baselineRssBytes >> 10)
        .isLessThan(RSS_GROWTH_BOUND_BYTES);
    assertThat(broker.isAlive()).isTrue();
  }

  /** A client with keep-alive 0 writing a chunk of packets over and over, reading nothing. */
  private static final class Flooder implements AutoCloseable {
    private final Socket socket;
    private final Thread thread;
    volatile long sentBytes;
    volatile long lastProgressNanos = System.nanoTime();
    volatile long endNanos;
    volatile IOException failure;

    Flooder(byte[] chunk) throws IOException {
      socket = smallBufferSocket();
      OutputStream out = socket.getOutputStream();
      out.write(encode(keepAliveZero(uniqueId("flood"))));
      // CONNACK is the one thing it reads: the broker holds at most 256 packets that come before
      // the session is ready, and closes a client that sends more.
      socket.setSoTimeout(5000);
      byte[] connAck = socket.getInputStream().readNBytes(4);
      assertThat(connAck).containsExactly(0x20, 0x02, 0x00, 0x00);
      thread =
          new Thread(
              () -> {
                long deadline = System.nanoTime() + FLOOD_MAX_TIME.toNanos();
                try {
                  while (sentBytes < FLOOD_MAX_BYTES && System.nanoTime() < deadline) {
                    out.write(chunk); // blocks once the broker stops reading
                    sentBytes += chunk.length;
                    lastProgressNanos = System.nanoTime();
                  }
                } catch (IOException e) {
                  failure = e; // reset or broken pipe: the broker closed the connection
                } finally {
                  endNanos = System.nanoTime();
                }
              },
              "flooder");
      thread.setDaemon(true);
      thread.start();
    }

    boolean hasEnded() {
      return !thread.isAlive();
    }

    void awaitEnd(Duration bound) throws InterruptedException {
      thread.join(Math.max(1, bound.toMillis()));
    }

    @Override
    public void close() throws IOException {
      socket.setSoLinger(true, 0);
      socket.close(); // unblocks a write still waiting
      try {
        thread.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A client that reads what it is sent: subscribes to its own topic at QoS 1. */
  private static final class HealthyClient implements AutoCloseable {
    private final RawClient client;
    private final String topic;

    HealthyClient() throws IOException {
      String id = uniqueId("healthy");
      topic = "health/" + id;
      client = RawClient.connect(port);
      client.send(Packets.connect(id, true));
      assertThat(client.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      client.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
      assertThat(client.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.GRANTED_QOS_1);
    }

    /** Publishes at QoS 1 and gets both the PUBACK and its own message, each within 5 s. */
    void roundTrip(int n) throws IOException {
      int packetId = (n % 65535) + 1;
      client.send(Packets.publish(topic, "ok " + n, QoS.AT_LEAST_ONCE, packetId));
      boolean acked = false;
      Publish delivered = null;
      while (!acked || delivered == null) {
        MqttPacket p = client.read();
        if (p instanceof PubAck a && a.packetId() == packetId) {
          acked = true;
        } else if (p instanceof Publish pub) {
          client.send(PubAck.of(pub.packetId()));
          if (Packets.text(pub).equals("ok " + n)) {
            delivered = pub;
          }
          pub.release();
        }
      }
    }

    @Override
    public void close() throws IOException {
      client.close();
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static Connect keepAliveZero(String clientId) {
    return new Connect(MqttVersion.V3_1_1, clientId, true, 0, null, null, null, Properties.EMPTY);
  }

  /** A socket to the broker whose receive buffer is small, so that it fills soon. */
  private static Socket smallBufferSocket() throws IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(8 << 10);
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    return s;
  }

  private static byte[] encode(MqttPacket packet) {
    ByteBuf buf = PacketEncoder.encode(packet, MqttVersion.V3_1_1, ByteBufAllocator.DEFAULT);
    try {
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      return bytes;
    } finally {
      buf.release();
    }
  }

  /** Whether the broker closes {@code s} within {@code bound}, discarding what it still sends. */
  private static boolean isClosedWithin(Socket s, Duration bound) throws IOException {
    long deadline = System.nanoTime() + bound.toNanos();
    InputStream in = s.getInputStream();
    byte[] sink = new byte[64 << 10];
    try {
      while (System.nanoTime() < deadline) {
        s.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        if (in.read(sink) < 0) {
          return true;
        }
      }
      return false;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by the broker
    }
  }

  /** The value of a {@code $SYS} counter, read from its retained message. */
  private static long sysCounter(String topic) throws IOException {
    try (RawClient c = RawClient.connect(port)) {
      c.send(Packets.connect(uniqueId("sys"), true));
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      c.send(Packets.subscribe(1, topic, QoS.AT_MOST_ONCE));
      for (int i = 0; i < 4; i++) {
        MqttPacket p = c.read();
        if (p instanceof Publish pub && pub.topic().equals(topic)) {
          long value = Long.parseLong(Packets.text(pub).trim());
          pub.release();
          return value;
        }
      }
      throw new AssertionError(topic + " was not published");
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
