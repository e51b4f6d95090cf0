package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.starling.broker.Broker;
import io.starling.broker.config.ConfigLoader;
import io.starling.broker.security.PasswordFile;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SCRAM-SHA-512 (MQTT 5.0 enhanced authentication) against the failed-login limit, the password
 * file's secrets and re-authentication, over raw sockets with a SCRAM client written here from RFC
 * 5802, so that a test can try any SaltedPassword (one stolen from the file, say).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ScramHardeningIT {
  private static final String METHOD = "SCRAM-SHA-512";

  @TempDir Path dir;
  private Broker broker;

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  /** A broker over {@code passwd} with the {@code file} authenticator and these abuse limits. */
  private int start(Path passwd, String abuseYaml) throws Exception {
    String yaml =
        "security:\n"
            + "  authenticators: [file]\n"
            + "  password_file: "
            + passwd
            + "\n"
            + "  reload_interval_seconds: 1\n"
            + "  auth_cache_seconds: 0\n"
            + "abuse:\n"
            + abuseYaml;
    broker = TestBroker.start(ConfigLoader.parse(yaml, "test.yaml"));
    return broker.port();
  }

  private Path passwordFile(String... usersAndPasswords) throws Exception {
    PasswordFile f = PasswordFile.empty();
    for (int i = 0; i < usersAndPasswords.length; i += 2) {
      f = f.with(usersAndPasswords[i], usersAndPasswords[i + 1].toCharArray(), 4096);
    }
    Path passwd = dir.resolve("passwd");
    f.save(passwd);
    return passwd;
  }

  // ---- a SCRAM client with a pluggable SaltedPassword ----------------------------------------

  /** One SCRAM-SHA-512 exchange on the client side (RFC 5802 section 3). */
  static final class Scram {
    private final String user;
    private final BiFunction<byte[], Integer, byte[]> saltedPassword;
    private final String clientNonce = "rOprNGfwEbeRWgbNEkqO" + System.nanoTime();
    private String clientFirstBare;

    /** Proves {@code password}. */
    Scram(String user, String password) {
      this(user, (salt, i) -> PasswordFile.hash(password.toCharArray(), salt, i));
    }

    /** Proves whatever SaltedPassword {@code saltedPassword} makes of the salt and count. */
    Scram(String user, BiFunction<byte[], Integer, byte[]> saltedPassword) {
      this.user = user;
      this.saltedPassword = saltedPassword;
    }

    String first() {
      clientFirstBare = "n=" + user + ",r=" + clientNonce;
      return "n,," + clientFirstBare;
    }

    String last(String serverFirst) throws Exception {
      Map<String, String> a = new HashMap<>();
      for (String part : serverFirst.split(",")) {
        a.put(part.substring(0, 1), part.substring(2));
      }
      byte[] salted =
          saltedPassword.apply(
              Base64.getDecoder().decode(a.get("s")), Integer.parseInt(a.get("i")));
      String withoutProof = "c=biws,r=" + a.get("r");
      String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
      byte[] clientKey = hmac(salted, "Client Key");
      byte[] signature = hmac(MessageDigest.getInstance("SHA-512").digest(clientKey), authMessage);
      byte[] proof = new byte[clientKey.length];
      for (int i = 0; i < proof.length; i++) {
        proof[i] = (byte) (clientKey[i] ^ signature[i]);
      }
      return withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof);
    }

    private static byte[] hmac(byte[] key, String text) throws Exception {
      Mac mac = Mac.getInstance("HmacSHA512");
      mac.init(new SecretKeySpec(key, "HmacSHA512"));
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static Properties auth(String data) {
    return Properties.builder()
        .add(PropertyId.AUTHENTICATION_METHOD, METHOD)
        .add(PropertyId.AUTHENTICATION_DATA, BinaryData.of(data.getBytes(StandardCharsets.UTF_8)))
        .build();
  }

  private static String data(Properties p) {
    return p.binaryValue(PropertyId.AUTHENTICATION_DATA)
        .map(d -> new String(d.toByteArray(), StandardCharsets.UTF_8))
        .orElse("");
  }

  /**
   * Runs the exchange of {@code scram} as CONNECT and AUTH on {@code c}; the CONNACK's reason (the
   * broker may answer CONNECT with CONNACK at once).
   */
  private static ReasonCode scramConnect(RawClient c, Scram scram) throws Exception {
    Connect connect =
        new Connect(
            MqttVersion.V5,
            ItSupport.uniqueId("scram"),
            true,
            60,
            null,
            null,
            null,
            auth(scram.first()));
    c.send(connect);
    MqttPacket p = c.read();
    if (p instanceof ConnAck refused) {
      return refused.reasonCode();
    }
    assertThat(p).isInstanceOf(Auth.class);
    c.send(
        new Auth(
            ReasonCode.CONTINUE_AUTHENTICATION, auth(scram.last(data(((Auth) p).properties())))));
    return c.read(ConnAck.class).reasonCode();
  }

  private ReasonCode scramLogin(Scram scram) throws Exception {
    try (RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5)) {
      return scramConnect(c, scram);
    }
  }

  private ReasonCode plainLogin(String user, String password) throws Exception {
    try (RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5)) {
      c.send(
          new Connect(
              MqttVersion.V5,
              ItSupport.uniqueId("plain"),
              true,
              60,
              user,
              BinaryData.of(password.getBytes(StandardCharsets.UTF_8)),
              null,
              Properties.EMPTY));
      return c.read(ConnAck.class).reasonCode();
    }
  }

  // ---- the tests ------------------------------------------------------------------------------

  @Test
  void failedScramExchangesCountAsFailedLogins() throws Exception {
    start(passwordFile("alice", "correct horse"), "  max_failed_logins_per_minute: 3\n");
    for (int i = 0; i < 3; i++) {
      assertThat(scramLogin(new Scram("alice", "guess-" + i))).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    }
    assertThat(broker.stats().loginsFailed.sum()).isEqualTo(3);
    // The address is over its limit: the right password is refused for the rest of the minute.
    assertThat(scramLogin(new Scram("alice", "correct horse")))
        .isEqualTo(ReasonCode.CONNECTION_RATE_EXCEEDED);
  }

  @Test
  void aBlockedAddressGetsTheSameAnswerForRightAndWrongGuesses() throws Exception {
    start(passwordFile("alice", "correct horse"), "  max_failed_logins_per_minute: 3\n");
    for (int i = 0; i < 3; i++) {
      assertThat(plainLogin("alice", "guess-" + i)).isEqualTo(ReasonCode.BAD_USER_NAME_OR_PASSWORD);
    }
    ReasonCode wrong = scramLogin(new Scram("alice", "another guess"));
    ReasonCode right = scramLogin(new Scram("alice", "correct horse"));
    assertThat(wrong).as("a wrong guess, then the right one").isEqualTo(right);
    assertThat(right).isEqualTo(ReasonCode.CONNECTION_RATE_EXCEEDED);
    assertThat(plainLogin("alice", "correct horse")).isEqualTo(right);
  }

  @Test
  void thePasswordFileHoldsNothingToLogInWith() throws Exception {
    Path passwd = dir.resolve("passwd");
    passwd("-c", passwd, "alice", "correct horse");
    start(passwd, "  max_failed_logins_per_minute: 0\n");
    String line = Files.readString(passwd, StandardCharsets.UTF_8).strip();
    String[] fields = line.split(":");
    // user:scheme:iterations:salt:secret(s): whoever reads the file tries every secret in it as
    // the SaltedPassword, the way a SCRAM client that knows the password would use it.
    List<byte[]> secrets = new ArrayList<>();
    for (int i = 4; i < fields.length; i++) {
      secrets.add(Base64.getDecoder().decode(fields[i]));
    }
    assertThat(secrets).isNotEmpty();
    for (byte[] stolen : secrets) {
      assertThat(scramLogin(new Scram("alice", (salt, n) -> stolen)))
          .isEqualTo(ReasonCode.NOT_AUTHORIZED);
    }
    // The password itself still works, both ways.
    assertThat(scramLogin(new Scram("alice", "correct horse"))).isEqualTo(ReasonCode.SUCCESS);
    assertThat(plainLogin("alice", "correct horse")).isEqualTo(ReasonCode.SUCCESS);
    assertThat(plainLogin("alice", "wrong")).isEqualTo(ReasonCode.BAD_USER_NAME_OR_PASSWORD);
  }

  @Test
  void anOldPasswordFileStillWorksAndStarlingPasswdUpgradesIt() throws Exception {
    // The form files had before: the SaltedPassword itself.
    byte[] salt = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    byte[] salted = PasswordFile.hash("correct horse".toCharArray(), salt, 4096);
    var b64 = Base64.getEncoder();
    Path passwd = dir.resolve("passwd");
    Files.writeString(
        passwd,
        "alice:pbkdf2-sha512:4096:"
            + b64.encodeToString(salt)
            + ":"
            + b64.encodeToString(salted)
            + "\n",
        StandardCharsets.UTF_8);
    start(passwd, "  max_failed_logins_per_minute: 0\n");
    assertThat(scramLogin(new Scram("alice", "correct horse"))).isEqualTo(ReasonCode.SUCCESS);
    assertThat(plainLogin("alice", "correct horse")).isEqualTo(ReasonCode.SUCCESS);

    passwd("", passwd, "bob", "bob-pw");
    String text = Files.readString(passwd, StandardCharsets.UTF_8);
    assertThat(text).doesNotContain("pbkdf2-sha512").doesNotContain(b64.encodeToString(salted));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> plainLogin("bob", "bob-pw") == ReasonCode.SUCCESS);
    assertThat(scramLogin(new Scram("alice", "correct horse"))).isEqualTo(ReasonCode.SUCCESS);
    assertThat(plainLogin("alice", "correct horse")).isEqualTo(ReasonCode.SUCCESS);
  }

  @Test
  void reauthenticatingAsAnotherUserEndsTheConnection() throws Exception {
    start(
        passwordFile("alice", "alice-pw", "bob", "bob-pw"), "  max_failed_logins_per_minute: 0\n");
    try (RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5)) {
      assertThat(scramConnect(c, new Scram("alice", "alice-pw"))).isEqualTo(ReasonCode.SUCCESS);
      // Re-authentication as alice again is fine.
      assertThat(reauthenticate(c, new Scram("alice", "alice-pw"))).isInstanceOf(Auth.class);
      c.send(PingReq.INSTANCE);
      assertThat(c.read()).isInstanceOf(PingResp.class);
      // As bob, with bob's right password: the connection has alice's permissions, so no.
      MqttPacket answer = reauthenticate(c, new Scram("bob", "bob-pw"));
      assertThat(answer).isInstanceOf(Disconnect.class);
      // [MQTT-4.12.1-2]
      assertThat(((Disconnect) answer).reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    }
  }

  /** AUTH 0x19, then the final message; the broker's last answer (AUTH 0x00 or DISCONNECT). */
  private static MqttPacket reauthenticate(RawClient c, Scram scram) throws Exception {
    c.send(new Auth(ReasonCode.REAUTHENTICATE, auth(scram.first())));
    Auth challenge = c.read(Auth.class);
    assertThat(challenge.reasonCode()).isEqualTo(ReasonCode.CONTINUE_AUTHENTICATION);
    c.send(
        new Auth(
            ReasonCode.CONTINUE_AUTHENTICATION, auth(scram.last(data(challenge.properties())))));
    MqttPacket p = c.read();
    if (p instanceof Auth done) {
      assertThat(done.reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    }
    return p;
  }

  /** {@code starling passwd [flag] --stdin FILE USER}, with the password on standard input. */
  private static void passwd(String flag, Path file, String user, String password) {
    SecuritySupport.passwd(file, 4096, flag, user, password);
  }
}
