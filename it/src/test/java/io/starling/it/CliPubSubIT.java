package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.starling.broker.Broker;
import io.starling.client.Message;
import io.starling.client.MqttClient;
import io.starling.codec.QoS;
import io.starling.testkit.TestBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code starling pub} and {@code starling sub} as processes, against our broker (MQTT 3.1.1) and
 * Mosquitto (MQTT 5.0 properties, refused passwords). A subscriber process is known to be
 * subscribed when it prints a retained message published before it started.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CliPubSubIT {
  private static Broker broker;
  private static String port;

  @BeforeAll
  static void startBroker() {
    broker = TestBroker.start();
    port = Integer.toString(broker.port());
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @AfterEach
  void stopLeftovers() {
    CliProcess.destroyAll(); // a failed assertion must not leave a subscriber running
  }

  private static CliProcess pub(String... args) {
    return CliProcess.run(concat(new String[] {"pub", "-h", "127.0.0.1", "-p", port}, args));
  }

  private static CliProcess sub(String... args) {
    return CliProcess.start(concat(new String[] {"sub", "-h", "127.0.0.1", "-p", port}, args));
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  @Test
  void pubAndSubRoundTrip() {
    assertThat(pub("-t", "rt/ready", "-m", "ready", "-r", "-q", "1").exitCode()).isZero();
    CliProcess sub = sub("-t", "rt/#", "-v", "-q", "1", "-C", "3", "-W", "30");
    sub.awaitLine("rt/ready ready");
    assertThat(pub("-t", "rt/a", "-m", "hello world", "-q", "1").exitCode()).isZero();
    assertThat(pub("-t", "rt/b", "-m", "at most once").exitCode()).isZero();
    assertThat(sub.exitCode()).as("%s", sub).isZero();
    assertThat(sub.out).containsExactly("rt/ready ready", "rt/a hello world", "rt/b at most once");
  }

  @Test
  void pubSendsAFileLinesOfStdinAndRepeats(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("body.txt");
    Files.writeString(file, "from a file", StandardCharsets.UTF_8);
    assertThat(pub("-t", "src/ready", "-m", "r", "-r", "-q", "1").exitCode()).isZero();
    CliProcess sub = sub("-t", "src/#", "-q", "1", "-C", "7", "-W", "30");
    sub.awaitLine("r");
    assertThat(pub("-t", "src/f", "-f", file.toString(), "-q", "1").exitCode()).isZero();
    CliProcess lines =
        CliProcess.start("pub", "-h", "127.0.0.1", "-p", port, "-t", "src/l", "-l", "-q", "2");
    assertThat(lines.stdin("one\ntwo\n\nthree\n").exitCode()).as("%s", lines).isZero();
    assertThat(
            pub("-t", "src/r", "-m", "again", "--repeat", "2", "--repeat-delay", "0.01").exitCode())
        .isZero();
    assertThat(sub.exitCode()).as("%s", sub).isZero();
    assertThat(sub.out)
        .containsExactly("r", "from a file", "one", "two", "three", "again", "again");
  }

  @Test
  void noStaleSkipsRetainedMessages() throws Exception {
    assertThat(pub("-t", "st/old", "-m", "old", "-r", "-q", "1").exitCode()).isZero();
    CliProcess sub = sub("-t", "st/#", "-R", "-C", "1", "-q", "1", "-W", "20");
    try (MqttClient c = MqttClient.builder().host("127.0.0.1").port(broker.port()).build()) {
      c.connect().join();
      // sub prints nothing when it has subscribed: publish until it has printed and gone
      await()
          .until(
              () -> {
                c.publish("st/new", "new", QoS.AT_LEAST_ONCE).join();
                return !sub.process.isAlive();
              });
    }
    assertThat(sub.exitCode()).as("%s", sub).isZero();
    assertThat(sub.out).containsExactly("new");
  }

  @Test
  void subExitsWith27WhenTheTimeoutRunsOut() {
    CliProcess sub = sub("-t", "nothing/here", "-W", "1");
    assertThat(sub.exitCode()).isEqualTo(27);
    assertThat(sub.errText()).contains("Timed out");
  }

  @Test
  void aBadHostIsOneClearLineAndExitCode1() {
    CliProcess p = CliProcess.run("pub", "-h", "no-such-host.invalid", "-t", "t", "-m", "x");
    assertThat(p.exitCode()).isEqualTo(1);
    assertThat(p.err).hasSize(1);
    assertThat(p.errText()).startsWith("starling pub: cannot connect to no-such-host.invalid:1883");
  }

  @Test
  void aBadFlagIsExitCode2() {
    CliProcess p = CliProcess.run("sub", "-t", "t", "--no-such-flag");
    assertThat(p.exitCode()).isEqualTo(2);
    assertThat(p.errText()).contains("Unknown option: '--no-such-flag'");
    CliProcess q = CliProcess.run("pub", "-t", "t", "-m", "x", "-q", "3");
    assertThat(q.exitCode()).isEqualTo(2);
    assertThat(q.errText()).startsWith("starling pub: -q must be 0, 1 or 2, not 3");
  }

  @Test
  void helpListsTheMosquittoFlags() {
    CliProcess p = CliProcess.run("sub", "--help");
    assertThat(p.exitCode()).isZero();
    assertThat(String.join("\n", p.out))
        .contains("-h, --host", "-p, --port", "-t, --topic", "-q, --qos", "-C, --count")
        .contains("-W, --timeout", "-v, --verbose", "-V, --protocol-version", "-i, --id");
  }

  /** SIGTERM (as Ctrl-C's SIGINT) runs the shutdown hook: DISCONNECT is sent, so no will. */
  @Test
  void interruptedSubDisconnectsCleanly() throws Exception {
    List<Message> wills = new CopyOnWriteArrayList<>();
    try (MqttClient watcher = MqttClient.builder().host("127.0.0.1").port(broker.port()).build()) {
      watcher.connect().join();
      watcher.subscribe("int/#", QoS.AT_LEAST_ONCE, wills::add).join();
      assertThat(pub("-t", "int/ready", "-m", "r", "-r", "-q", "1").exitCode()).isZero();
      CliProcess sub = sub("-t", "int/ready", "--will-topic", "int/will", "--will-payload", "died");
      sub.awaitLine("r");
      sub.process.destroy(); // SIGTERM
      assertThat(sub.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
      watcher.publish("int/marker", "m", QoS.AT_LEAST_ONCE).join();
      await().until(() -> wills.stream().anyMatch(m -> m.topic().equals("int/marker")));
      assertThat(wills).extracting(Message::topic).doesNotContain("int/will");
    }
  }

  /**
   * {@code sub -t '#' -v} keeps up with 20,000 messages published as fast as acknowledged (on a
   * broker of its own, so that no other test's retained messages count).
   */
  @Test
  void subKeepsUpOnABusyBroker() throws Exception {
    int total = 20_000;
    try (Broker busy = TestBroker.start()) {
      String bp = Integer.toString(busy.port());
      assertThat(
              CliProcess.run(
                      "pub",
                      "-p",
                      bp,
                      "-h",
                      "127.0.0.1",
                      "-t",
                      "busy/ready",
                      "-m",
                      "r",
                      "-r",
                      "-q",
                      "1")
                  .exitCode())
          .isZero();
      CliProcess sub =
          CliProcess.start(
              "sub",
              "-p",
              bp,
              "-h",
              "127.0.0.1",
              "-t",
              "#",
              "-v",
              "-q",
              "1",
              "-W",
              "60",
              "-C",
              Integer.toString(total + 1));
      sub.awaitLine("busy/ready r");
      try (MqttClient pub =
          MqttClient.builder()
              .host("127.0.0.1")
              .port(busy.port())
              .maxInflight(200)
              .offlineBufferMessages(total)
              .build()) {
        pub.connect().join();
        CompletableFuture<?>[] acks = new CompletableFuture<?>[total];
        for (int i = 0; i < total; i++) {
          acks[i] = pub.publish("busy/" + (i % 10), Integer.toString(i), QoS.AT_LEAST_ONCE);
        }
        CompletableFuture.allOf(acks).get(30, TimeUnit.SECONDS);
      }
      assertThat(sub.exitCode()).as("%s", sub.err).isZero();
      assertThat(sub.out).hasSize(total + 1);
      assertThat(sub.out.get(total)).isEqualTo("busy/" + ((total - 1) % 10) + " " + (total - 1));
    }
  }

  @Test
  void mqtt5PropertiesAsJsonLinesAgainstMosquitto() throws Exception {
    try (Mosquitto m = Mosquitto.builder().start()) {
      String mp = Integer.toString(m.port);
      CliProcess p =
          CliProcess.run(
              "pub",
              "-h",
              "127.0.0.1",
              "-p",
              mp,
              "-V",
              "mqttv5",
              "-t",
              "j/1",
              "-m",
              "say \"hi\"",
              "-r",
              "-q",
              "1",
              "-D",
              "k=v",
              "--user-property",
              "k2=v2",
              "--message-expiry",
              "600",
              "--response-topic",
              "j/answers",
              "--content-type",
              "text/plain");
      assertThat(p.exitCode()).as("%s", p).isZero();
      CliProcess sub =
          CliProcess.start(
              "sub",
              "-h",
              "127.0.0.1",
              "-p",
              mp,
              "-V",
              "5",
              "-t",
              "j/#",
              "-F",
              "json",
              "-C",
              "1",
              "-q",
              "1");
      assertThat(sub.exitCode()).as("%s", sub).isZero();
      assertThat(sub.out).hasSize(1);
      assertThat(sub.out.get(0))
          .startsWith("{\"topic\":\"j/1\",\"qos\":1,\"retain\":true,\"payload\":\"say \\\"hi\\\"\"")
          .contains("\"user_properties\":[[\"k\",\"v\"],[\"k2\",\"v2\"]]")
          .contains("\"message_expiry\":")
          .contains("\"response_topic\":\"j/answers\"")
          .contains("\"content_type\":\"text/plain\"");
    }
  }

  @Test
  void refusedCredentialsAreOneClearLineAndExitCode1() throws Exception {
    try (Mosquitto m = Mosquitto.builder().password("alice", "right").start()) {
      String mp = Integer.toString(m.port);
      assertThat(
              CliProcess.run(
                      "pub",
                      "-h",
                      "127.0.0.1",
                      "-p",
                      mp,
                      "-u",
                      "alice",
                      "-P",
                      "right",
                      "-t",
                      "t",
                      "-m",
                      "x")
                  .exitCode())
          .isZero();
      CliProcess bad =
          CliProcess.run(
              "sub",
              "-h",
              "127.0.0.1",
              "-p",
              mp,
              "-u",
              "alice",
              "-P",
              "wrong",
              "-V",
              "5",
              "-t",
              "t");
      assertThat(bad.exitCode()).isEqualTo(1);
      assertThat(bad.err).hasSize(1);
      assertThat(bad.errText()).startsWith("starling sub: connection refused: ");
    }
  }

  @Test
  void webSocketFlagPublishesOverWebSocket() throws Exception {
    try (Mosquitto m = Mosquitto.builder().webSocket().start()) {
      CliProcess p =
          CliProcess.run(
              "pub",
              "-h",
              "127.0.0.1",
              "-p",
              Integer.toString(m.webSocketPort),
              "--ws",
              "-t",
              "ws/x",
              "-m",
              "over ws",
              "-r",
              "-q",
              "1");
      assertThat(p.exitCode()).as("%s", p).isZero();
      CliProcess sub =
          CliProcess.run(
              "sub",
              "-h",
              "127.0.0.1",
              "-p",
              Integer.toString(m.port),
              "-t",
              "ws/#",
              "-v",
              "-C",
              "1");
      assertThat(sub.exitCode()).as("%s", sub).isZero();
      assertThat(sub.out).containsExactly("ws/x over ws");
    }
  }

  @Test
  void tlsFlagsConnectWithAClientCertificate() throws Exception {
    TestCerts certs = TestCerts.generate();
    try (Mosquitto m = Mosquitto.builder().tls(certs).start()) {
      CliProcess p =
          CliProcess.run(
              "pub",
              "-h",
              "localhost",
              "-p",
              Integer.toString(m.tlsPort),
              "--cafile",
              certs.ca().toString(),
              "--cert",
              certs.clientCert().toString(),
              "--key",
              certs.clientKey().toString(),
              "-t",
              "tls",
              "-m",
              "x",
              "-q",
              "1");
      assertThat(p.exitCode()).as("%s", p).isZero();
    }
  }
}
