package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static io.starling.it.SecuritySupport.assertQos1RoundTrip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.starling.broker.Broker;
import io.starling.broker.config.ConfigLoader;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile traffic over raw sockets, each case bounded in count and time and followed by a QoS 1
 * round trip of a well-behaved client. Malformed packets of every class are covered by {@link
 * HostileInputIT} (and the codec's MalformedInputTest); this suite covers resource exhaustion:
 * slowloris, half-open sockets and connect/disconnect storms. The broker runs in the test JVM, so
 * both ends of every socket count against the process's open-file limit: counts stay at 2,000.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RobustnessIT {
  private static Broker broker;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    broker = TestBroker.start(ConfigLoader.parse("limits:\n  connect_timeout_seconds: 2\n", "t"));
    port = broker.port();
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  /** Remaining length 200,000 as a variable byte integer: under the 256 KiB CONNECT cap. */
  private static final byte[] CONNECT_PROMISING_200K = {0x10, (byte) 0xC0, (byte) 0x9A, 0x0C};

  /** A PUBLISH header promising 500,000 bytes (under the 1 MiB packet cap), then 3 bytes. */
  private static final byte[] PUBLISH_PROMISING_500K = {
    0x30, (byte) 0xA0, (byte) 0xC2, 0x1E, 0x00, 0x01, 'a'
  };

  @Test
  void slowlorisBeforeConnectIsClosedByTheConnectTimeout() throws Exception {
    List<RawClient> slow = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) {
        slow.add(RawClient.connect(port).send(CONNECT_PROMISING_200K));
      }
      assertQos1RoundTrip(port, null, null);
      assertAllClosedWithin(slow, Duration.ofSeconds(10));
    } finally {
      closeAll(slow);
    }
    assertQos1RoundTrip(port, null, null);
  }

  @Test
  void slowlorisAfterConnectIsClosedByKeepAlive() throws Exception {
    List<RawClient> slow = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        RawClient c = RawClient.connect(port);
        slow.add(c);
        c.send(Packets.connect(MqttVersion.V3_1_1, uniqueId("loris"), true, 1, null));
        assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
        c.send(PUBLISH_PROMISING_500K);
      }
      assertQos1RoundTrip(port, null, null);
      // 1.5 x the 1 s keep-alive, counted from the last complete packet.
      assertAllClosedWithin(slow, Duration.ofSeconds(10));
    } finally {
      closeAll(slow);
    }
    assertQos1RoundTrip(port, null, null);
  }

  @Test
  void twoThousandHalfOpenSocketsAreClosedAndOthersAreServedMeanwhile() throws Exception {
    List<Socket> idle = new ArrayList<>();
    try {
      for (int i = 0; i < 2000; i++) {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        idle.add(s);
      }
      assertQos1RoundTrip(port, null, null);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      for (Socket s : idle) {
        int left = (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        s.setSoTimeout(left);
        assertThat(s.getInputStream().read()).as("closed by the broker").isEqualTo(-1);
      }
    } finally {
      for (Socket s : idle) {
        s.close();
      }
    }
    assertQos1RoundTrip(port, null, null);
  }

  @Test
  void connectDisconnectStormsLeaveNoConnectionBehind() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        work.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 250; i++) {
                    try (RawClient c = RawClient.connect(port)) {
                      c.send(Packets.connect(uniqueId("storm"), true));
                      if (i % 2 == 0) {
                        c.read(ConnAck.class);
                        c.send(new byte[] {(byte) 0xE0, 0x00}); // DISCONNECT
                      } // odd rounds: reset right after CONNECT, maybe before CONNACK
                    } catch (IOException e) {
                      throw new IllegalStateException("storm thread " + thread + ": " + e, e);
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : work) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    // Every test closes all its clients, so nothing may stay counted once the broker has seen
    // them go. (Comparing with a count read at the start raced with the previous test's last
    // client, whose close the broker may not have handled yet.)
    await().atMost(Duration.ofSeconds(20)).until(() -> broker.stats().clientsConnected.get() == 0);
    assertQos1RoundTrip(port, null, null);
  }

  private static void assertAllClosedWithin(List<RawClient> clients, Duration bound) {
    long deadline = System.nanoTime() + bound.toNanos();
    for (RawClient c : clients) {
      Duration left = Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
      assertThat(c.isClosedWithin(left)).as("closed by the broker").isTrue();
    }
  }

  private static void closeAll(List<RawClient> clients) throws IOException {
    for (RawClient c : clients) {
      c.close();
    }
  }
}
