package io.starling.it;

import static io.starling.it.ItSupport.text;
import static io.starling.it.ItSupport.uniqueId;
import static io.starling.it.ItSupport.utf8;
import static io.starling.it.SecuritySupport.assertQos1RoundTrip;
import static io.starling.it.SecuritySupport.login;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.SecurityConfig;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authentication and authorisation end to end: a password file made with {@code starling passwd},
 * an ACL file, JWT tokens and a slow custom authenticator, with Eclipse Paho (3.1.1) and raw
 * sockets. One broker per test, because failed logins count against the test's address.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SecurityIT {
  static final String HMAC = "it-secret-0123456789abcdef0123456789abcdef";

  @TempDir Path dir;
  Path passwd;
  Path acl;
  Broker broker;
  final List<MqttClient> clients = new ArrayList<>();

  @BeforeEach
  void files() throws Exception {
    passwd = dir.resolve("passwd");
    acl = dir.resolve("acl");
    // The password file comes from the command users run: starling passwd.
    passwd("-c", "alice", "alice-pw");
    passwd("", "bob", "bob-pw");
    passwd("", "admin", "admin-pw");
    Files.writeString(
        acl,
        String.join(
            "\n",
            "# test rules, first match wins",
            "user admin readwrite #",
            "user alice readwrite home/alice/#",
            "all deny public/secret/#",
            "all read public/#",
            "all readwrite users/%u/#",
            "client dev-%c write devices/%c/#",
            "all write devices/%c/#",
            ""),
        StandardCharsets.UTF_8);
  }

  private void passwd(String flag, String user, String password) {
    SecuritySupport.passwd(passwd, 1000, flag, user, password);
  }

  private Broker start(SecurityConfig security) {
    broker =
        TestBroker.start(
            BrokerConfig.defaults().withSys(new BrokerConfig.Sys(1)).withSecurity(security));
    return broker;
  }

  private SecurityConfig fileAndAcl() {
    return SecurityConfig.DEFAULT
        .with(null, List.of("file"), passwd, acl)
        .withTiming(1, 2, 5000, 300);
  }

  @AfterEach
  void stop() {
    for (MqttClient c : clients) {
      try {
        if (c.isConnected()) {
          c.disconnectForcibly(100, 100);
        }
        c.close();
      } catch (MqttException e) {
        // already gone
      }
    }
    if (broker != null) {
      broker.close();
    }
  }

  private MqttClient paho(String user, String password) throws MqttException {
    MqttClient c = ItSupport.paho(broker.port(), uniqueId(user == null ? "anon" : user));
    clients.add(c);
    MqttConnectOptions o = ItSupport.options(true);
    if (user != null) {
      o.setUserName(user);
      o.setPassword(password.toCharArray());
    }
    c.connect(o);
    return c;
  }

  private static int reasonOf(ThrowableRunnable r) {
    try {
      r.run();
    } catch (MqttException e) {
      return e.getReasonCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected the connection to be refused");
  }

  interface ThrowableRunnable {
    void run() throws Exception;
  }

  @Test
  void passwordFileUsersGetInAndOthersGetReturnCode4Or5() throws Exception {
    start(fileAndAcl());
    assertThat(paho("alice", "alice-pw").isConnected()).isTrue();
    // 3.1.1 return code 4: bad user name or password; 5: not authorised (anonymous refused).
    assertThat(reasonOf(() -> paho("alice", "wrong"))).isEqualTo(4);
    assertThat(reasonOf(() -> paho("mallory", "alice-pw"))).isEqualTo(4);
    assertThat(reasonOf(() -> paho(null, null))).isEqualTo(5);
    assertThat(broker.stats().loginsFailed.sum()).isEqualTo(3);
    assertQos1RoundTrip(broker.port(), "bob", "bob-pw");
  }

  @Test
  void anonymousStaysAllowedWhenConfiguredSoAlongsideAPasswordFile() throws Exception {
    start(fileAndAcl().with(true, List.of("file"), passwd, null));
    assertThat(paho(null, null).isConnected()).isTrue();
    assertThat(reasonOf(() -> paho("alice", "wrong"))).isEqualTo(4);
  }

  @Test
  void deniedPublishesAreDroppedSilentlyAndCounted() throws Exception {
    start(fileAndAcl());
    MqttClient admin = paho("admin", "admin-pw");
    List<String> seen = new CopyOnWriteArrayList<>();
    admin.subscribe("#", 1, (t, m) -> seen.add(t + "=" + text(m.getPayload())));
    MqttClient alice = paho("alice", "alice-pw");
    // QoS 1: Paho completes (the PUBACK came), but nobody receives it.
    alice.publish("home/bob/door", utf8("open"), 1, false);
    alice.publish("home/alice/lamp", utf8("on"), 1, false);
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains("home/alice/lamp=on"));
    assertThat(seen).doesNotContain("home/bob/door=open");
    assertThat(broker.stats().publishDenied.sum()).isEqualTo(1);
    assertThat(alice.isConnected()).isTrue();
    // The count is published in $SYS, readable by everyone.
    List<String> counts = new CopyOnWriteArrayList<>();
    alice.subscribe(
        "$SYS/broker/publish/messages/dropped/denied",
        0,
        (t, m) -> counts.add(text(m.getPayload())));
    await().atMost(Duration.ofSeconds(5)).until(() -> counts.contains("1"));
  }

  @Test
  void percentUAndPercentCGiveEachClientItsOwnTopics() throws Exception {
    start(fileAndAcl());
    MqttClient admin = paho("admin", "admin-pw");
    List<String> seen = new CopyOnWriteArrayList<>();
    admin.subscribe("#", 1, (t, m) -> seen.add(t));
    MqttClient bob = paho("bob", "bob-pw");
    bob.publish("users/bob/note", utf8("x"), 1, false);
    bob.publish("users/alice/note", utf8("x"), 1, false);
    String deviceTopic = "devices/" + bob.getClientId() + "/temp";
    bob.publish(deviceTopic, utf8("21"), 1, false);
    bob.publish("devices/someone-else/temp", utf8("21"), 1, false);
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains(deviceTopic));
    assertThat(seen).contains("users/bob/note").doesNotContain("users/alice/note");
    assertThat(seen).doesNotContain("devices/someone-else/temp");
  }

  @Test
  void deniedSubscriptionsGetSubAck0x80AndDenyHoldsInsideAnAllowedTree() throws Exception {
    start(fileAndAcl());
    try (RawClient c = RawClient.connect(broker.port())) {
      c.send(SecuritySupport.connect(uniqueId("raw"), "bob", "bob-pw"));
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      c.send(
          new Subscribe(
              1,
              List.of(
                  Subscription.of("public/#", QoS.AT_LEAST_ONCE),
                  Subscription.of("home/alice/#", QoS.AT_LEAST_ONCE),
                  Subscription.of("public/secret/#", QoS.AT_MOST_ONCE),
                  Subscription.of("$SYS/broker/uptime", QoS.AT_MOST_ONCE)),
              Properties.EMPTY));
      SubAck ack = c.read(SubAck.class);
      // 3.1.1 knows only 0x80 for a failure; the encoder writes it for every refusal.
      assertThat(ack.reasonCodes())
          .extracting(ReasonCode::value)
          .containsExactly(0x01, 0x80, 0x80, 0x00);
    }
    MqttClient bob = paho("bob", "bob-pw");
    List<String> seen = new CopyOnWriteArrayList<>();
    bob.subscribe("public/#", 1, (t, m) -> seen.add(t));
    MqttClient admin = paho("admin", "admin-pw");
    admin.publish("public/secret/plans", utf8("x"), 1, false);
    admin.publish("public/news", utf8("x"), 1, false);
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains("public/news"));
    assertThat(seen).doesNotContain("public/secret/plans");
    assertThat(broker.stats().deliveriesDenied.sum()).isEqualTo(1);
  }

  @Test
  void aclAndPasswordFilesAreReloadedWithoutARestart() throws Exception {
    start(fileAndAcl());
    assertThat(login(broker.port(), uniqueId("c"), "carol", "carol-pw"))
        .isEqualTo(ReasonCode.BAD_USER_NAME_OR_PASSWORD);
    passwd("", "carol", "carol-pw");
    // Polled slowly: every failed login counts against this address (10 a minute).
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(700))
        .until(
            () -> login(broker.port(), uniqueId("c"), "carol", "carol-pw") == ReasonCode.SUCCESS);

    MqttClient admin = paho("admin", "admin-pw");
    List<String> seen = new CopyOnWriteArrayList<>();
    admin.subscribe("#", 1, (t, m) -> seen.add(t));
    MqttClient carol = paho("carol", "carol-pw");
    carol.publish("garden/hose", utf8("x"), 1, false);
    Files.writeString(
        acl, Files.readString(acl) + "user carol write garden/#\n", StandardCharsets.UTF_8);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              carol.publish("garden/hose", utf8("x"), 1, false);
              return seen.contains("garden/hose");
            });
  }

  @Test
  void jwtTokensInThePasswordFieldAreChecked() throws Exception {
    Path secret = Files.writeString(dir.resolve("jwt.secret"), HMAC, StandardCharsets.UTF_8);
    SecurityConfig.Jwt jwt =
        new SecurityConfig.Jwt(
            secret, null, "sub", "mqtt_publish", "mqtt_subscribe", null, null, 0);
    start(SecurityConfig.DEFAULT.with(null, List.of("file", "jwt"), passwd, acl).withJwt(jwt));
    String good = token("dave", 60, Map.of("mqtt_publish", List.of("telemetry/dave/#")));
    MqttClient dave = paho("anything", good);
    assertThat(dave.isConnected()).isTrue();
    assertThat(reasonOf(() -> paho("anything", token("dave", -60, Map.of())))).isEqualTo(4);
    // A password-file user still gets in through the first link of the chain.
    assertThat(paho("alice", "alice-pw").isConnected()).isTrue();

    MqttClient admin = paho("admin", "admin-pw");
    List<String> seen = new CopyOnWriteArrayList<>();
    admin.subscribe("#", 1, (t, m) -> seen.add(t));
    dave.publish("telemetry/other/x", utf8("x"), 1, false);
    dave.publish("telemetry/dave/x", utf8("x"), 1, false);
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains("telemetry/dave/x"));
    assertThat(seen).doesNotContain("telemetry/other/x");
    // The token grants no subscriptions.
    assertThatThrownBy(() -> dave.subscribe("telemetry/#", 1)).isInstanceOf(MqttException.class);
  }

  private static String token(String user, long expiresInSeconds, Map<String, Object> claims)
      throws Exception {
    JWTClaimsSet.Builder b =
        new JWTClaimsSet.Builder()
            .subject(user)
            .expirationTime(new Date(System.currentTimeMillis() + expiresInSeconds * 1000));
    claims.forEach(b::claim);
    SignedJWT t = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), b.build());
    t.sign(new MACSigner(HMAC.getBytes(StandardCharsets.UTF_8)));
    return t.serialize();
  }

  @Test
  void aSlowAuthenticatorNeverStallsOtherClientsAndTimesOut() throws Exception {
    start(
        SecurityConfig.DEFAULT
            .with(null, List.of("slow", "file"), passwd, acl)
            .withTiming(1, 2, 2000, 300)
            .withPlugins(Map.of("slow", Map.of("millis", "30000"))));
    long started = System.nanoTime();
    CompletableFuture<ReasonCode> slow =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return login(broker.port(), uniqueId("slow"), "slowpoke", "x");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    // While the backend hangs, others log in and get a QoS 1 round trip at once.
    for (int i = 0; i < 5; i++) {
      assertQos1RoundTrip(broker.port(), "bob", "bob-pw");
    }
    assertThat(slow).isNotDone();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
    // After auth_timeout_millis the hanging login is refused: 3.1.1 return code 3.
    assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo(ReasonCode.SERVER_UNAVAILABLE);
  }

  @Test
  void failedLoginsAreRateLimitedPerAddress() throws Exception {
    start(fileAndAcl());
    for (int i = 0; i < 10; i++) {
      assertThat(login(broker.port(), uniqueId("guess"), "alice", "guess-" + i))
          .isEqualTo(ReasonCode.BAD_USER_NAME_OR_PASSWORD);
    }
    // Now even the right password is refused from this address for the rest of the minute.
    assertThat(login(broker.port(), uniqueId("c"), "alice", "alice-pw"))
        .isEqualTo(ReasonCode.SERVER_UNAVAILABLE);
  }
}
