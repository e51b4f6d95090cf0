package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an idle connection costs the broker (issue #17), without timing anything: {@code starling
 * broker} in a process of its own with a fixed, pre-touched heap, and {@value #CONNECTIONS} idle
 * MQTT 5.0 clients (keep-alive 60, one subscription each to a topic of its own, as a fleet of
 * devices has). Two figures per connection, each against a bound with a margin over what it
 * measures:
 *
 * <ul>
 *   <li>the live Java heap, from the class histogram after a full GC ({@code jcmd
 *       GC.class_histogram}): every object a connection, its session and its subscription keep;
 *   <li>the growth of the resident set: with the heap resident from the start, that is native
 *       memory (buffers held between packets, the transport's own), which must stay near zero.
 * </ul>
 *
 * The numbers measured at 19,000 connections, and how to read them, are in docs/performance.md.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class IdleMemoryIT {
  private static final int CONNECTIONS = 5_000;

  /** As many as measured: the JIT compiles the paths they take (its memory is native too). */
  private static final int WARM_UP_CONNECTIONS = CONNECTIONS;

  /**
   * Live heap per idle connection with its session and subscription. About 2,450 bytes measured
   * here; 3,000 before the per-connection timer, the sessions' eager collections and the topic
   * tree's empty maps went (issue #17).
   */
  private static final long HEAP_BYTES_PER_CONNECTION_BOUND = 2_900;

  /** Growth of the resident set per connection with the heap pre-touched: native memory only. */
  private static final long NATIVE_BYTES_PER_CONNECTION_BOUND = 2_048;

  private static BrokerProcess broker;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    port = freePort();
    // The whole heap is resident from the start (pre-touched), so what the resident set gains is
    // native memory; the heap's share is read from the class histogram.
    broker =
        BrokerProcess.start(
            Duration.ofSeconds(60),
            List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch", "-XX:+UseG1GC"),
            "--port",
            Integer.toString(port));
    assertThat(broker.isAlive()).as("broker output:%n%s", broker).isTrue();
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void anIdle50ConnectionWithOneSubscriptionCostsLittleHeapAndNoNativeMemory() throws Exception {
    // Code paths, buffers and the session registry have served clients before the baseline.
    closeAll(openIdle("warm", WARM_UP_CONNECTIONS));
    long heapBefore = liveHeapBytes();
    long rssBefore = broker.status("VmRSS");

    List<RawClient> clients = openIdle("idle", CONNECTIONS);
    try {
      long heapAfter = liveHeapBytes();
      long rssAfter = broker.status("VmRSS");
      long heapPerConnection = (heapAfter - heapBefore) / CONNECTIONS;
      long nativePerConnection = (rssAfter - rssBefore) / CONNECTIONS;
      SoftAssertions.assertSoftly(
          soft -> {
            soft.assertThat(heapPerConnection)
                .as("live heap per idle connection (%d -> %d bytes)", heapBefore, heapAfter)
                .isLessThan(HEAP_BYTES_PER_CONNECTION_BOUND);
            soft.assertThat(nativePerConnection)
                .as("resident growth per idle connection (%d -> %d bytes)", rssBefore, rssAfter)
                .isLessThan(NATIVE_BYTES_PER_CONNECTION_BOUND);
          });
      // Still up and served: a sample of them gets its PINGRESP.
      for (int i = 0; i < clients.size(); i += 500) {
        RawClient c = clients.get(i);
        c.send(PingReq.INSTANCE);
        assertThat(c.read(Duration.ofSeconds(5))).isInstanceOf(PingResp.class);
      }
      assertThat(broker.isAlive()).isTrue();
    } finally {
      closeAll(clients);
    }
  }

  /** Opens {@code n} MQTT 5.0 clients, keep-alive 60, each subscribed to a topic of its own. */
  private static List<RawClient> openIdle(String prefix, int n) throws IOException {
    List<RawClient> clients = new ArrayList<>(n);
    try {
      for (int i = 0; i < n; i++) {
        String id = ItSupport.uniqueId(prefix);
        RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5);
        clients.add(c);
        c.send(Packets.connect5(id, true, 60, null, Properties.EMPTY));
        assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
        Subscription s = Subscription.of("devices/" + id + "/commands", QoS.AT_LEAST_ONCE);
        c.send(new Subscribe(1, List.of(s), Properties.EMPTY));
        assertThat(c.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.GRANTED_QOS_1);
      }
    } catch (IOException | RuntimeException | AssertionError e) {
      closeAll(clients);
      throw e;
    }
    return clients;
  }

  private static void closeAll(List<RawClient> clients) {
    for (RawClient c : clients) {
      try {
        c.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  /** The broker's live heap: the class histogram's total, taken after a full GC. */
  private static long liveHeapBytes() throws Exception {
    Path jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
    Process p =
        new ProcessBuilder(jcmd.toString(), Long.toString(broker.pid()), "GC.class_histogram")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("jcmd finished").isTrue();
    Matcher m = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)").matcher(out);
    assertThat(m.find()).as("a class histogram from jcmd:%n%s", out).isTrue();
    return Long.parseLong(m.group(1));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
