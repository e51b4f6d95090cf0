package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.SecurityConfig;
import io.starling.broker.security.PasswordFile;
import io.starling.client.BlockingMqttClient;
import io.starling.client.Message;
import io.starling.client.MqttClient;
import io.starling.client.ScramSha512Auth;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.testkit.TestBroker;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SCRAM-SHA-512 over MQTT 5.0 enhanced authentication: the broker's password file (made as {@code
 * starling passwd} makes it) serves it, and Starling's client library speaks it.
 */
@Timeout(60)
class ScramAuthIT {
  @TempDir Path dir;
  private Broker broker;

  @BeforeEach
  void start() throws Exception {
    Path passwd = dir.resolve("passwd");
    PasswordFile.empty().with("alice", "correct horse".toCharArray(), 4096).save(passwd);
    assertThat(Files.exists(passwd)).isTrue();
    SecurityConfig security =
        SecurityConfig.DEFAULT.with(false, List.of("file"), passwd, null).withTiming(1, 2, 5000, 0);
    broker =
        TestBroker.start(
            BrokerConfig.defaults().withListener("127.0.0.1", 0).withSecurity(security));
  }

  @AfterEach
  void stop() {
    broker.close();
  }

  private BlockingMqttClient client(String user, String password) {
    return BlockingMqttClient.of(
        MqttClient.builder()
            .host("127.0.0.1")
            .port(broker.port())
            .version(MqttVersion.V5)
            .clientId(ItSupport.uniqueId("scram"))
            .noAutomaticReconnect()
            .enhancedAuth(new ScramSha512Auth(user, password.toCharArray())));
  }

  @Test
  void theRightPasswordConnectsWithoutSendingIt() throws Exception {
    try (BlockingMqttClient c = client("alice", "correct horse")) {
      c.connect();
      c.subscribe("scram/t", QoS.AT_LEAST_ONCE);
      c.publish("scram/t", "hello", QoS.AT_LEAST_ONCE);
      Message m = c.receive(Duration.ofSeconds(10));
      assertThat(m).isNotNull();
      assertThat(m.payloadAsString()).isEqualTo("hello");
    }
  }

  @Test
  void aWrongPasswordIsRefused() {
    try (BlockingMqttClient c = client("alice", "wrong")) {
      assertThatThrownBy(c::connect).hasMessageContaining("0x87");
    }
  }

  @Test
  void anUnknownUserIsRefused() {
    try (BlockingMqttClient c = client("mallory", "correct horse")) {
      assertThatThrownBy(c::connect).hasMessageContaining("0x87");
    }
  }

  private int cli(StringWriter err, String... args) {
    return io.starling.cli.Main.run(
        new PrintWriter(new StringWriter()), new PrintWriter(err), args);
  }

  @Test
  void starlingPubSpeaksScramToo() {
    String port = Integer.toString(broker.port());
    StringWriter err = new StringWriter();
    String[] common = {"-h", "127.0.0.1", "-p", port, "-V", "5", "-t", "t", "-m", "x", "--scram"};
    assertThat(cli(err, concat(new String[] {"pub", "-u", "alice", "-P", "correct horse"}, common)))
        .as(err.toString())
        .isZero();
    StringWriter refused = new StringWriter();
    assertThat(cli(refused, concat(new String[] {"pub", "-u", "alice", "-P", "nope"}, common)))
        .isEqualTo(1);
    assertThat(refused.toString()).contains("0x87");
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
