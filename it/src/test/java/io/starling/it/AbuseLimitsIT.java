package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static io.starling.it.SecuritySupport.assertQos1RoundTrip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.starling.broker.Broker;
import io.starling.broker.config.ConfigLoader;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The {@code abuse.*} limits, each on its own broker configured through the config file text. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AbuseLimitsIT {
  private Broker broker;
  private final List<RawClient> raws = new ArrayList<>();

  private int start(String abuseYaml) throws Exception {
    broker = TestBroker.start(ConfigLoader.parse("abuse:\n" + abuseYaml, "test.yaml"));
    return broker.port();
  }

  @AfterEach
  void stop() throws IOException {
    for (RawClient c : raws) {
      try {
        c.close();
      } catch (IOException e) {
        // closed by the test already
      }
    }
    if (broker != null) {
      broker.close();
    }
  }

  private RawClient open() throws IOException {
    RawClient c = RawClient.connect(broker.port());
    raws.add(c);
    return c;
  }

  private RawClient connected(String id) throws IOException {
    RawClient c = open();
    c.send(Packets.connect(id, true));
    assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    return c;
  }

  @Test
  void connectionsPerAddressAreCapped() throws Exception {
    int port = start("  max_connections_per_address: 3\n");
    List<RawClient> three = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      three.add(connected(uniqueId("cap")));
    }
    RawClient fourth = open();
    assertThat(fourth.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    three.get(0).close();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              try (RawClient again = RawClient.connect(port)) {
                again.send(Packets.connect(uniqueId("cap"), true));
                return again.read(ConnAck.class).reasonCode() == ReasonCode.SUCCESS;
              } catch (IOException e) {
                return false;
              }
            });
    assertThat(broker.stats().abuseRefused.sum()).isPositive();
  }

  @Test
  void theConnectionRatePerAddressIsCapped() throws Exception {
    start("  max_connection_rate_per_address: 5\n");
    List<RawClient> burst = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      burst.add(open());
    }
    long closed = burst.stream().filter(c -> c.isClosedWithin(Duration.ofMillis(200))).count();
    assertThat(closed).isGreaterThanOrEqualTo(20);
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> assertQos1RoundTrip(broker.port(), null, null));
  }

  @Test
  void aClientIdWhoseConnectionsKeepEndingAbnormallyIsRefusedForItsCoolOff() throws Exception {
    int port = start("  flap_connects: 3\n  flap_window_seconds: 10\n  flap_cooloff_seconds: 60\n");
    // A clean connect and DISCONNECT cycle never counts, however often [#16].
    for (int i = 0; i < 30; i++) {
      try (RawClient c = RawClient.connect(port)) {
        c.send(SecuritySupport.connect("flappy", null, null));
        assertThat(c.read(ConnAck.class).reasonCode())
            .as("cycle %d", i)
            .isEqualTo(ReasonCode.SUCCESS);
        c.send(Disconnect.NORMAL);
        assertThat(c.isClosedWithin(Duration.ofSeconds(2))).isTrue();
      }
    }
    // Connections that end without DISCONNECT (here: the socket just closes) do; the broker counts
    // each when it notices the close, so a few more may get in before the cool-off starts.
    int accepted = 0;
    ReasonCode last = ReasonCode.SUCCESS;
    for (int i = 0; i < 20 && last == ReasonCode.SUCCESS; i++) {
      last = SecuritySupport.login(port, "flappy", null, null);
      if (last == ReasonCode.SUCCESS) {
        accepted++;
        Thread.onSpinWait();
      }
    }
    // 3.1.1 return code 3 (5.0 would get 0x9F, connection rate exceeded).
    assertThat(last)
        .as("after %d abnormal ends", accepted)
        .isEqualTo(ReasonCode.SERVER_UNAVAILABLE);
    assertThat(accepted).isBetween(3, 19);
    assertThat(SecuritySupport.login(port, "calm", null, null)).isEqualTo(ReasonCode.SUCCESS);
  }

  @Test
  void mosquittoPubInAShellLoopWorksWithTheDefaults() throws Exception {
    broker = TestBroker.start();
    // The limit's defaults (10 abnormal ends in 10 s) never see a client that says goodbye.
    for (int i = 0; i < 40; i++) {
      Process p =
          new ProcessBuilder(
                  "mosquitto_pub",
                  "-h",
                  "127.0.0.1",
                  "-p",
                  Integer.toString(broker.port()),
                  "-i",
                  "same-id",
                  "-t",
                  "loop/t",
                  "-m",
                  "m" + i)
              .redirectErrorStream(true)
              .start();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as("iteration %d: %s", i, out).isZero();
    }
  }

  @Test
  void aClientOverItsPublishRateIsThrottledWithoutLosingMessages() throws Exception {
    start("  max_publish_rate: 20\n");
    RawClient sub = subscriber();
    RawClient pub = connected(uniqueId("pub"));
    long start = System.nanoTime();
    // A client that waits for each PUBACK, as one with an in-flight window of 1 does: 60
    // messages at 20/s after a one-second burst of 20 take about 2 s.
    for (int i = 1; i <= 60; i++) {
      pub.send(Packets.publish("rate/t", "m" + i, QoS.AT_LEAST_ONCE, i));
      assertThat(pub.read(Duration.ofSeconds(10))).isInstanceOf(PubAck.class);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(1500));
    for (int i = 0; i < 60; i++) {
      assertThat(sub.read(Duration.ofSeconds(10))).isInstanceOf(Publish.class);
    }
  }

  @Test
  void aClientOverItsBandwidthIsThrottled() throws Exception {
    start("  max_publish_bytes_rate: 10KiB\n");
    // QoS 1 both ways, so that nothing is dropped for a subscriber that reads in bursts.
    RawClient sub = connected(uniqueId("sub"));
    sub.send(Packets.subscribe(1, "rate/#", QoS.AT_LEAST_ONCE));
    sub.read(SubAck.class);
    RawClient pub = connected(uniqueId("pub"));
    String payload = "x".repeat(1024);
    long start = System.nanoTime();
    // 100 KiB at 10 KiB/s: a one-second burst, then what one read takes (at most 64 KiB) is
    // processed at once; the rest waits for the rate, about 2.6 s.
    for (int i = 1; i <= 100; i++) {
      pub.send(Packets.publish("rate/t", payload, QoS.AT_LEAST_ONCE, i));
    }
    for (int i = 0; i < 100; i++) {
      MqttPacket p = sub.read(Duration.ofSeconds(15));
      assertThat(p).isInstanceOf(Publish.class);
      sub.send(PubAck.of(((Publish) p).packetId()));
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(1000));
  }

  private RawClient subscriber() throws IOException {
    RawClient sub = connected(uniqueId("sub"));
    sub.send(Packets.subscribe(1, "rate/#", QoS.AT_MOST_ONCE));
    sub.read(SubAck.class);
    return sub;
  }

  @Test
  void withDisconnectAClientOverItsPublishRateIsClosed() throws Exception {
    start("  max_publish_rate: 10\n  publish_rate_action: disconnect\n");
    RawClient pub = connected(uniqueId("flood"));
    try {
      for (int i = 0; i < 50; i++) {
        pub.send(Packets.publish("flood/t", "x", QoS.AT_MOST_ONCE, 0));
      }
    } catch (IOException e) {
      // the broker closed the connection while the flood was still being written
    }
    assertThat(pub.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    assertQos1RoundTrip(broker.port(), null, null);
  }

  @Test
  void subscriptionsPerClientAreCapped() throws Exception {
    start("  max_subscriptions: 2\n");
    RawClient c = connected(uniqueId("subs"));
    c.send(
        new Subscribe(
            1,
            List.of(
                Subscription.of("a", QoS.AT_MOST_ONCE),
                Subscription.of("b", QoS.AT_MOST_ONCE),
                Subscription.of("c", QoS.AT_MOST_ONCE)),
            Properties.EMPTY));
    assertThat(c.read(SubAck.class).reasonCodes())
        .extracting(ReasonCode::value)
        .containsExactly(0x00, 0x00, 0x80);
    // Replacing a subscription held already is not a new one.
    c.send(Packets.subscribe(2, "a", QoS.AT_LEAST_ONCE));
    assertThat(c.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.GRANTED_QOS_1);
  }
}
