package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.testkit.TestBroker;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #16 part 1: nothing the broker acknowledged is lost for a subscriber that stays connected,
 * over real sockets. The clients here encode and parse MQTT by hand (3.1.1, and the few 5.0 fields
 * used), independently of Starling's codec, and read through buffered streams so that they can keep
 * up with the broker: ten publishers sending QoS 1 as fast as TCP lets them to one {@code load/#}
 * subscriber with the shipped defaults; a subscriber that stops acknowledging; a QoS 0 subscriber
 * whose socket buffer fills for a moment; and publishers to other topics beside a slow subscriber.
 * Every wait is bounded in count and time.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class QosUnderLoadIT {
  private static final int PUBLISHERS = 10;
  private static final int PER_PUBLISHER = 20_000;

  /**
   * Ten publishers, QoS 1, pipelined without limit, to one wildcard subscriber that acknowledges
   * each message: with the shipped defaults every acknowledged message arrives, once, in its
   * publisher's order [MQTT-4.6.0-6] (bug fix: the queue overflowed after the one-second release of
   * paused publishers and {@code drop_new} discarded acknowledged messages, ~7% of them).
   */
  @Test
  void tenQos1PublishersToOneWildcardSubscriberLoseNothingWithTheShippedDefaults()
      throws Exception {
    Broker broker = TestBroker.start(BrokerConfig.defaults());
    try (Wire sub = Wire.open(broker.port(), 0)) {
      sub.connect311(uniqueId("sink"), true);
      sub.subscribe(1, "load/#", 1);
      long[] next = new long[PUBLISHERS];
      AtomicLong received = new AtomicLong();
      AtomicReference<String> disorder = new AtomicReference<>();
      Thread reader =
          daemon(
              () -> {
                try {
                  while (received.get() < (long) PUBLISHERS * PER_PUBLISHER) {
                    Wire.Packet p = sub.read(Duration.ofSeconds(30));
                    if (p.type() != 3) {
                      continue;
                    }
                    Wire.Publish m = p.publish(false);
                    ByteBuffer b = ByteBuffer.wrap(m.payload());
                    int pub = b.getInt();
                    long seq = b.getInt();
                    if (seq != next[pub] && disorder.get() == null) {
                      disorder.set("publisher " + pub + ": got " + seq + ", expected " + next[pub]);
                    }
                    next[pub] = seq + 1;
                    received.incrementAndGet();
                    sub.puback(m.packetId(), sub.in.available() == 0);
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      List<Publisher> pubs = new ArrayList<>();
      for (int i = 0; i < PUBLISHERS; i++) {
        pubs.add(new Publisher(broker.port(), i, "load/p" + i, PER_PUBLISHER, 24));
      }
      pubs.forEach(Publisher::start);
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  received.get() >= (long) PUBLISHERS * PER_PUBLISHER
                      || !reader.isAlive()
                      || pubs.stream().anyMatch(Publisher::failed));
      for (Publisher p : pubs) {
        await().atMost(Duration.ofSeconds(30)).until(() -> p.acked.get() >= PER_PUBLISHER);
        p.close();
      }
      assertThat(disorder.get()).as("per-publisher order").isNull();
      for (int i = 0; i < PUBLISHERS; i++) {
        assertThat(next[i]).as("messages of publisher %d delivered", i).isEqualTo(PER_PUBLISHER);
      }
      assertThat(received.get()).isEqualTo((long) PUBLISHERS * PER_PUBLISHER);
      assertThat(broker.stats().queueOverflowDropped.sum()).isZero();
    } finally {
      broker.close();
    }
  }

  /**
   * A subscriber that reads but stops acknowledging holds its publisher back until {@code
   * limits.slow_subscriber_timeout_seconds} have passed without progress; then it gets DISCONNECT
   * 0x97 (Quota exceeded) [MQTT-3.14.2-1], and its session, kept, hands everything over on
   * reconnect: the unacknowledged messages again [MQTT-4.4.0-1], then the queued ones (bug fix:
   * over the queue bound, {@code drop_new} discarded what the broker had acknowledged, and the
   * subscriber was never told).
   */
  @Test
  void aSubscriberThatStopsAcknowledgingIsDisconnectedAfterTheTimeoutAndKeepsItsQueue()
      throws Exception {
    int timeoutSeconds = 2;
    int total = 300;
    Limits limits =
        Limits.builder()
            .maxInflightMessages(10)
            .maxQueuedMessages(100)
            .slowSubscriberTimeoutSeconds(timeoutSeconds)
            .build();
    Broker broker = TestBroker.start(BrokerConfig.defaults().withLimits(limits));
    String clientId = uniqueId("stalled");
    Set<Integer> seen = new HashSet<>();
    try {
      try (Wire sub = Wire.open(broker.port(), 0);
          Publisher pub = new Publisher(broker.port(), 0, "stall/a", total, 24)) {
        sub.connect5(clientId, true, 600);
        sub.subscribe5(1, "stall/#", 1);
        pub.start(); // one write of all 300: the broker reads them in one batch
        long lastPublishAt = System.nanoTime();
        int disconnectReason = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds + 15);
        while (System.nanoTime() < deadline) {
          Wire.Packet p = sub.read(Duration.ofSeconds(timeoutSeconds + 15));
          if (p.type() == 3) {
            seen.add(seqOf(p.publish(true)));
            lastPublishAt = System.nanoTime();
          } else if (p.type() == 14) {
            disconnectReason = p.body().length == 0 ? 0 : p.body()[0] & 0xFF;
            break;
          }
        }
        long quietMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastPublishAt);
        assertThat(disconnectReason).as("DISCONNECT reason code").isEqualTo(0x97);
        assertThat(quietMillis)
            .as("disconnected only after the timeout without progress")
            .isGreaterThanOrEqualTo(timeoutSeconds * 1000L - 300);
        assertThat(seen).as("the window's worth was sent before").hasSize(10);
        await().atMost(Duration.ofSeconds(10)).until(() -> pub.acked.get() >= total);
      }
      try (Wire again = Wire.open(broker.port(), 0)) {
        again.connect5(clientId, false, 600);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int previous = -1;
        boolean ordered = true;
        while (seen.size() < total && System.nanoTime() < deadline) {
          Wire.Packet p = again.read(Duration.ofSeconds(10));
          if (p.type() == 3) {
            Wire.Publish m = p.publish(true);
            int seq = seqOf(m);
            ordered &= seq > previous;
            previous = seq;
            seen.add(seq);
            again.puback(m.packetId(), true);
          }
        }
        assertThat(seen).as("every acknowledged message, after the reconnect").hasSize(total);
        assertThat(ordered).as("resent and queued messages in their order").isTrue();
      }
      assertThat(broker.stats().slowSubscriberDisconnects.sum()).isEqualTo(1);
    } finally {
      broker.close();
    }
  }

  /**
   * A QoS 0 subscriber whose socket buffers fill for a moment (it reads after a burst, with a small
   * receive buffer) loses nothing while its session queue has room (bug fix: every message that met
   * a full socket buffer was dropped, ~621 per 64 KiB of buffer in the fan-in benchmark).
   */
  @Test
  void aQos0SubscriberWhoseSocketFillsForAMomentLosesNothingWhileItsQueueHasRoom()
      throws Exception {
    int total = 900; // under limits.max_queued_messages (1,000)
    Broker broker = TestBroker.start(BrokerConfig.defaults());
    try (Wire sub = Wire.open(broker.port(), 4096);
        Wire pub = Wire.open(broker.port(), 0)) {
      sub.connect311(uniqueId("burst-sub"), true);
      sub.subscribe(1, "burst/#", 0);
      pub.connect311(uniqueId("burst-pub"), true);
      byte[] filler = new byte[1024];
      for (int i = 0; i < total; i++) {
        pub.publish("burst/x", payload(0, i, filler.length), 0, 0, false);
      }
      pub.pingRoundTrip(); // all read and routed by the broker: ~900 KiB against a 4 KiB buffer
      int expected = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (expected < total && System.nanoTime() < deadline) {
        Wire.Packet p = sub.read(Duration.ofSeconds(5));
        if (p.type() == 3) {
          assertThat(seqOf(p.publish(false))).as("in order").isEqualTo(expected);
          expected++;
        }
      }
      assertThat(expected).as("QoS 0 messages delivered").isEqualTo(total);
      assertThat(broker.stats().qos0Dropped.sum() + broker.stats().queueOverflowDropped.sum())
          .isZero();
    } finally {
      broker.close();
    }
  }

  /**
   * A subscriber that stops acknowledging holds back the publisher feeding it, and nobody else:
   * round trips through other topics go on at full speed meanwhile.
   */
  @Test
  void aSlowSubscriberDoesNotSlowPublishersToOtherTopics() throws Exception {
    Broker broker = TestBroker.start(BrokerConfig.defaults());
    try (Wire stuck = Wire.open(broker.port(), 0);
        Publisher flood = new Publisher(broker.port(), 0, "stuck/a", 50_000, 24);
        Wire fastSub = Wire.open(broker.port(), 0);
        Wire fastPub = Wire.open(broker.port(), 0)) {
      stuck.connect311(uniqueId("stuck"), true);
      stuck.subscribe(1, "stuck/#", 1); // and never acknowledges
      fastSub.connect311(uniqueId("fast-sub"), true);
      fastSub.subscribe(1, "free/#", 1);
      fastPub.connect311(uniqueId("fast-pub"), true);
      flood.start();
      Thread drain = daemon(() -> stuck.discardUntilClosed());
      // The flood is held back once the stuck subscriber's queue is half full.
      await().atMost(Duration.ofSeconds(20)).until(() -> broker.stats().queuedMessages.get() > 500);
      long start = System.nanoTime();
      for (int i = 0; i < 200; i++) {
        fastPub.publish("free/b", payload(1, i, 16), 1, i + 1, true);
        boolean gotAck = false;
        boolean gotMessage = false;
        while (!gotAck || !gotMessage) {
          if (!gotAck) {
            Wire.Packet ack = fastPub.read(Duration.ofSeconds(5));
            gotAck = ack.type() == 4;
          }
          if (!gotMessage) {
            Wire.Packet p = fastSub.read(Duration.ofSeconds(5));
            if (p.type() == 3) {
              Wire.Publish m = p.publish(false);
              assertThat(seqOf(m)).isEqualTo(i);
              fastSub.puback(m.packetId(), true);
              gotMessage = true;
            }
          }
        }
      }
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(millis).as("200 round trips beside a slow subscriber").isLessThan(10_000);
      assertThat(flood.acked.get()).as("the flood is still held back").isLessThan(50_000);
      drain.interrupt();
    } finally {
      broker.close();
    }
  }

  /**
   * Two clients each publishing QoS 1 as fast as they can to the other (a request and response
   * service under overload): each one's congestion pauses the other, and each pause keeps unread
   * the acknowledgements the paused client's own queue waits for. Neither may hold the other until
   * the slow-subscriber timeout, and nothing is lost.
   */
  @Test
  void twoClientsPublishingToEachOtherDoNotHoldEachOtherUp() throws Exception {
    int each = 20_000;
    Broker broker = TestBroker.start(BrokerConfig.defaults());
    try (Publisher a = new Publisher(broker.port(), 0, "cycle/b", each, 24);
        Publisher b = new Publisher(broker.port(), 1, "cycle/a", each, 24)) {
      a.wire.subscribe(1, "cycle/a", 1);
      b.wire.subscribe(1, "cycle/b", 1);
      a.start();
      b.start();
      await()
          .atMost(Duration.ofSeconds(25)) // under the 30 s slow-subscriber timeout
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  (a.received.get() >= each && b.received.get() >= each)
                      || a.failed()
                      || b.failed());
      assertThat(a.received.get()).as("delivered to a").isEqualTo(each);
      assertThat(b.received.get()).as("delivered to b").isEqualTo(each);
      await().atMost(Duration.ofSeconds(10)).until(() -> a.acked.get() >= each);
      await().atMost(Duration.ofSeconds(10)).until(() -> b.acked.get() >= each);
      assertThat(broker.stats().slowSubscriberDisconnects.sum()).isZero();
    } finally {
      broker.close();
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static int seqOf(Wire.Publish m) {
    return ByteBuffer.wrap(m.payload()).getInt(4);
  }

  private static byte[] payload(int publisher, int seq, int size) {
    ByteBuffer b = ByteBuffer.allocate(Math.max(8, size));
    b.putInt(publisher).putInt(seq);
    return b.array();
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r, "qos-load-it");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * A 3.1.1 client that sends {@code count} QoS 1 PUBLISH packets as fast as TCP lets it (no limit
   * on those unacknowledged) and counts the PUBACKs.
   */
  private static final class Publisher implements AutoCloseable {
    final Wire wire;
    final int index;
    final String topic;
    final int count;
    final int size;
    final AtomicInteger acked = new AtomicInteger();
    final AtomicInteger received = new AtomicInteger();
    final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();

    Publisher(int port, int index, String topic, int count, int size) throws IOException {
      this.wire = Wire.open(port, 0);
      this.index = index;
      this.topic = topic;
      this.count = count;
      this.size = size;
      wire.connect311(uniqueId("pub" + index), true);
    }

    void start() {
      daemon(
          () -> {
            try {
              for (int i = 0; i < count; i++) {
                wire.publish(topic, payload(index, i, size), 1, i % 65535 + 1, false);
              }
              wire.flush();
            } catch (IOException e) {
              errors.add(e);
            }
          });
      daemon(
          () -> {
            try {
              while (true) {
                Wire.Packet p = wire.read(Duration.ofSeconds(60));
                if (p.type() == 4) {
                  acked.incrementAndGet();
                } else if (p.type() == 3) { // it subscribed too: acknowledge what it gets
                  Wire.Publish m = p.publish(false);
                  received.incrementAndGet();
                  wire.puback(m.packetId(), wire.in.available() == 0);
                }
              }
            } catch (IOException e) {
              errors.add(e);
            }
          });
    }

    boolean failed() {
      return !errors.isEmpty();
    }

    @Override
    public void close() throws IOException {
      wire.close();
    }
  }

  /** MQTT over a socket, encoded and parsed here by hand, through buffered streams. */
  static final class Wire implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final BufferedOutputStream out;

    record Packet(int first, byte[] body) {
      int type() {
        return first >>> 4;
      }

      /** A PUBLISH's fields; {@code v5}: skip its properties. */
      Publish publish(boolean v5) {
        ByteBuffer b = ByteBuffer.wrap(body);
        int qos = (first >> 1) & 3;
        byte[] topic = new byte[b.getShort() & 0xFFFF];
        b.get(topic);
        int id = qos > 0 ? b.getShort() & 0xFFFF : 0;
        if (v5) {
          int propsLength = readVarInt(b);
          b.position(b.position() + propsLength);
        }
        byte[] payload = new byte[b.remaining()];
        b.get(payload);
        return new Publish(new String(topic, StandardCharsets.UTF_8), qos, id, payload);
      }
    }

    record Publish(String topic, int qos, int packetId, byte[] payload) {}

    private Wire(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 << 10));
      this.out = new BufferedOutputStream(socket.getOutputStream(), 64 << 10);
    }

    /** Connects to 127.0.0.1; {@code receiveBuffer} > 0 sets a small socket receive buffer. */
    static Wire open(int port, int receiveBuffer) throws IOException {
      Socket s = new Socket();
      if (receiveBuffer > 0) {
        s.setReceiveBufferSize(receiveBuffer);
      }
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      return new Wire(s);
    }

    void connect311(String clientId, boolean clean) throws IOException {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      string(v, "MQTT");
      v.write(4); // protocol level 3.1.1
      v.write(clean ? 0x02 : 0x00); // connect flags
      v.write(0);
      v.write(60); // keep-alive
      string(v, clientId);
      packet(0x10, v.toByteArray(), true);
      Packet ack = read(Duration.ofSeconds(10));
      assertThat(ack.type()).isEqualTo(2);
      assertThat(ack.body()[1]).as("CONNACK return code").isEqualTo((byte) 0);
    }

    void connect5(String clientId, boolean cleanStart, int sessionExpiry) throws IOException {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      string(v, "MQTT");
      v.write(5); // protocol level 5.0
      v.write(cleanStart ? 0x02 : 0x00);
      v.write(0);
      v.write(60);
      v.write(5); // properties length
      v.write(0x11); // Session Expiry Interval
      v.write(ByteBuffer.allocate(4).putInt(sessionExpiry).array(), 0, 4);
      string(v, clientId);
      packet(0x10, v.toByteArray(), true);
      Packet ack = read(Duration.ofSeconds(10));
      assertThat(ack.type()).isEqualTo(2);
      assertThat(ack.body()[1]).as("CONNACK reason code").isEqualTo((byte) 0);
    }

    void subscribe(int id, String filter, int qos) throws IOException {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      v.write(id >> 8);
      v.write(id);
      string(v, filter);
      v.write(qos);
      packet(0x82, v.toByteArray(), true);
      awaitSubAck();
    }

    void subscribe5(int id, String filter, int qos) throws IOException {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      v.write(id >> 8);
      v.write(id);
      v.write(0); // no properties
      string(v, filter);
      v.write(qos);
      packet(0x82, v.toByteArray(), true);
      awaitSubAck();
    }

    private void awaitSubAck() throws IOException {
      Packet p = read(Duration.ofSeconds(10));
      assertThat(p.type()).isEqualTo(9);
      assertThat(p.body()[p.body().length - 1] & 0xFF).as("granted QoS").isLessThan(0x80);
    }

    void publish(String topic, byte[] payload, int qos, int id, boolean flush) throws IOException {
      ByteArrayOutputStream v = new ByteArrayOutputStream(payload.length + topic.length() + 8);
      string(v, topic);
      if (qos > 0) {
        v.write(id >> 8);
        v.write(id);
      }
      v.write(payload, 0, payload.length);
      packet(0x30 | (qos << 1), v.toByteArray(), flush);
    }

    void puback(int id, boolean flush) throws IOException {
      packet(0x40, new byte[] {(byte) (id >> 8), (byte) id}, flush);
    }

    void pingRoundTrip() throws IOException {
      packet(0xC0, new byte[0], true);
      while (read(Duration.ofSeconds(20)).type() != 13) {
        // what else comes first is not ours to check here
      }
    }

    void flush() throws IOException {
      out.flush();
    }

    private synchronized void packet(int first, byte[] body, boolean flush) throws IOException {
      out.write(first);
      int n = body.length;
      do {
        int digit = n % 128;
        n /= 128;
        out.write(n > 0 ? digit | 0x80 : digit);
      } while (n > 0);
      out.write(body);
      if (flush) {
        out.flush();
      }
    }

    Packet read(Duration timeout) throws IOException {
      socket.setSoTimeout((int) timeout.toMillis());
      int first = in.read();
      if (first < 0) {
        throw new EOFException("closed by the broker");
      }
      int length = 0;
      int shift = 0;
      int b;
      do {
        b = in.readUnsignedByte();
        length |= (b & 0x7F) << shift;
        shift += 7;
      } while ((b & 0x80) != 0);
      byte[] body = new byte[length];
      in.readFully(body);
      return new Packet(first, body);
    }

    void discardUntilClosed() {
      byte[] sink = new byte[8192];
      try {
        socket.setSoTimeout(0);
        while (in.read(sink) >= 0) {
          // reads, and never acknowledges
        }
      } catch (SocketTimeoutException e) {
        // not with timeout 0
      } catch (IOException e) {
        // closed
      }
    }

    private static void string(ByteArrayOutputStream v, String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      v.write(b.length >> 8);
      v.write(b.length);
      v.write(b, 0, b.length);
    }

    private static int readVarInt(ByteBuffer b) {
      int value = 0;
      int shift = 0;
      int digit;
      do {
        digit = b.get() & 0xFF;
        value |= (digit & 0x7F) << shift;
        shift += 7;
      } while ((digit & 0x80) != 0);
      return value;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
