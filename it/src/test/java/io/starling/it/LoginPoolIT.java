package io.starling.it;

import static io.starling.it.ItSupport.options;
import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.broker.Broker;
import io.starling.broker.config.ConfigLoader;
import io.starling.broker.security.PasswordFile;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Properties;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The authentication threads under a burst of wrong passwords for a known user from one address
 * (127.0.0.1), while other clients log in from another (127.0.0.2, a loopback address of its own):
 * a cached login never waits behind the hashes, the burst is cut off at the failed-login limit
 * before its hashes are done, and one address has only its share of the queue. The passwords are
 * hashed at the default cost (210,000 PBKDF2 iterations), so the burst is many seconds of work for
 * the two authentication threads.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoginPoolIT {
  private static final String OTHER_ADDRESS = "127.0.0.2";

  @TempDir Path dir;
  private Broker broker;
  private final List<RawClient> burst = new ArrayList<>();

  @AfterEach
  void stop() throws IOException {
    for (RawClient c : burst) {
      c.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  private int start(String abuseYaml) throws Exception {
    Path passwd = dir.resolve("passwd");
    PasswordFile.empty()
        .with("alice", "alice-pw".toCharArray(), PasswordFile.DEFAULT_ITERATIONS)
        .with("bob", "bob-pw".toCharArray(), PasswordFile.DEFAULT_ITERATIONS)
        .save(passwd);
    String yaml =
        "security:\n"
            + "  authenticators: [file]\n"
            + "  password_file: "
            + passwd
            + "\n"
            + "  auth_threads: 2\n"
            + "  auth_timeout_millis: 60000\n"
            + "  auth_cache_seconds: 300\n"
            + "abuse:\n"
            + abuseYaml;
    broker = TestBroker.start(ConfigLoader.parse(yaml, "test.yaml"));
    return broker.port();
  }

  /** Sockets from 127.0.0.1 that each send a CONNECT for alice with a wrong password. */
  private void sendBurst(int count) throws IOException {
    for (int i = 0; i < count; i++) {
      RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5);
      burst.add(c);
      c.send(
          new Connect(
              MqttVersion.V5,
              uniqueId("guess"),
              true,
              60,
              "alice",
              BinaryData.of(("guess-" + i).getBytes(StandardCharsets.UTF_8)),
              null,
              Properties.EMPTY));
    }
  }

  /** The burst's CONNACK reasons, counted. */
  private Map<ReasonCode, Integer> burstAnswers() throws IOException {
    Map<ReasonCode, Integer> out = new EnumMap<>(ReasonCode.class);
    for (RawClient c : burst) {
      ReasonCode r = ((ConnAck) c.read(Duration.ofSeconds(60))).reasonCode();
      out.merge(r, 1, Integer::sum);
    }
    return out;
  }

  /** A Paho login from 127.0.0.2; how long it took from connect to CONNACK. */
  private Duration loginFromOtherAddress(String user, String password) throws Exception {
    MqttClient c =
        new MqttClient("tcp://127.0.0.1:" + broker.port(), uniqueId(user), new MemoryPersistence());
    MqttConnectOptions o = options(true);
    o.setConnectionTimeout(60);
    o.setUserName(user);
    o.setPassword(password.toCharArray());
    o.setSocketFactory(boundTo(OTHER_ADDRESS));
    long start = System.nanoTime();
    c.connect(o);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    c.disconnect();
    c.close();
    return took;
  }

  @Test
  void aCachedLoginNeverWaitsBehindABurstOfHashes() throws Exception {
    start("  max_failed_logins_per_minute: 0\n");
    Duration firstLogin = loginFromOtherAddress("bob", "bob-pw"); // hashed once, then cached
    sendBurst(40);
    // Once the first wrong password is hashed, the rest of the burst is queued or running.
    assertThat(((ConnAck) burst.get(0).read(Duration.ofSeconds(60))).reasonCode())
        .isIn(ReasonCode.BAD_USER_NAME_OR_PASSWORD, ReasonCode.SERVER_BUSY);
    Duration cached = loginFromOtherAddress("bob", "bob-pw");
    assertThat(cached).as("first login took %s", firstLogin).isLessThan(Duration.ofSeconds(1));
    burst.remove(0).close();
    assertThat(burstAnswers().keySet())
        .containsAnyOf(ReasonCode.BAD_USER_NAME_OR_PASSWORD, ReasonCode.SERVER_BUSY);
  }

  @Test
  void aBurstOfWrongPasswordsIsCutOffAtTheFailedLoginLimitAtOnce() throws Exception {
    start("  max_failed_logins_per_minute: 5\n");
    sendBurst(20);
    Map<ReasonCode, Integer> answers = burstAnswers();
    // At most 5 of the 20 were hashed: the others counted against the limit while they waited.
    assertThat(answers.getOrDefault(ReasonCode.BAD_USER_NAME_OR_PASSWORD, 0))
        .as("answers %s", answers)
        .isLessThanOrEqualTo(5);
    assertThat(broker.stats().loginsFailed.sum()).isLessThanOrEqualTo(5);
    // Over the limit now: even the right password is refused from this address (0x9F).
    try (RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5)) {
      c.send(
          new Connect(
              MqttVersion.V5,
              uniqueId("right"),
              true,
              60,
              "alice",
              BinaryData.of("alice-pw".getBytes(StandardCharsets.UTF_8)),
              null,
              Properties.EMPTY));
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.CONNECTION_RATE_EXCEEDED);
    }
  }

  @Test
  void oneAddressCannotFillTheQueue() throws Exception {
    start("  max_failed_logins_per_minute: 0\n");
    loginFromOtherAddress("bob", "bob-pw"); // warms the broker up
    // What one hash costs here, measured: a refused login from the other address.
    Duration oneHash = refusedFromOtherAddress("bob", "wrong");
    sendBurst(200);
    assertThat(((ConnAck) burst.get(0).read(Duration.ofSeconds(60))).reasonCode())
        .isIn(ReasonCode.BAD_USER_NAME_OR_PASSWORD, ReasonCode.SERVER_BUSY);
    // The whole burst is 200 hashes for 2 threads, about 100 times oneHash. Its share of the queue
    // (16 by default) is 8 times oneHash, and 2 may be running: an uncached login from elsewhere
    // waits about 10 times oneHash at most.
    Duration uncached = loginFromOtherAddress("alice", "alice-pw");
    assertThat(uncached)
        .as("one hash takes %s", oneHash)
        .isLessThan(oneHash.multipliedBy(16).plusMillis(500));
    burst.remove(0).close();
    Map<ReasonCode, Integer> answers = burstAnswers();
    assertThat(answers.getOrDefault(ReasonCode.SERVER_BUSY, 0))
        .as("answers %s", answers)
        .isGreaterThanOrEqualTo(150);
  }

  /** How long a login from 127.0.0.2 with a wrong password takes to be refused. */
  private Duration refusedFromOtherAddress(String user, String password) throws Exception {
    long start = System.nanoTime();
    assertThatThrownBy(() -> loginFromOtherAddress(user, password))
        .isInstanceOf(MqttException.class);
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /** Sockets bound to {@code local}, for Paho: its connections come from that address. */
  private static SocketFactory boundTo(String local) {
    return new SocketFactory() {
      @Override
      public Socket createSocket() throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(local, 0));
        return s;
      }

      @Override
      public Socket createSocket(String host, int port) throws IOException {
        return createSocket(host, port, InetAddress.getByName(local), 0);
      }

      @Override
      public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
          throws IOException {
        return new Socket(host, port, localHost, localPort);
      }

      @Override
      public Socket createSocket(InetAddress host, int port) throws IOException {
        return new Socket(host, port, InetAddress.getByName(local), 0);
      }

      @Override
      public Socket createSocket(
          InetAddress address, int port, InetAddress localAddress, int localPort)
          throws IOException {
        return new Socket(address, port, localAddress, localPort);
      }
    };
  }
}
