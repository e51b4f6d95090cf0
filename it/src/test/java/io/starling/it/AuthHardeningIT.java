package io.starling.it;

import static io.starling.it.ItSupport.options;
import static io.starling.it.ItSupport.uniqueId;
import static io.starling.it.SecuritySupport.login;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.BrokerConfig.Listener;
import io.starling.broker.config.BrokerConfig.Listener.Kind;
import io.starling.broker.config.ConfigLoader;
import io.starling.broker.config.SecurityConfig;
import io.starling.broker.config.TlsConfig;
import io.starling.broker.config.TlsConfig.CertificateUsername;
import io.starling.broker.config.TlsConfig.ClientAuth;
import io.starling.broker.security.PasswordFile;
import io.starling.cli.CertificateGenerator;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.SubAck;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who a client is, and for how long: the flapping limit counts only logins that passed
 * authentication, an unproven user name is never the identity the ACL sees, {@code %c} cannot be
 * smuggled in through a user name, and a connection ends when its credentials stop being valid (its
 * user deleted from the password file, its token expired). Raw sockets and Paho, one broker per
 * test.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AuthHardeningIT {
  private static final String HMAC = "it-secret-0123456789abcdef0123456789abcdef";

  @TempDir Path dir;
  private Broker broker;
  private final List<RawClient> raws = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (RawClient c : raws) {
      c.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  private Path passwords(String... usersAndPasswords) throws Exception {
    PasswordFile f = PasswordFile.empty();
    for (int i = 0; i < usersAndPasswords.length; i += 2) {
      f = f.with(usersAndPasswords[i], usersAndPasswords[i + 1].toCharArray(), 1000);
    }
    Path passwd = dir.resolve("passwd");
    f.save(passwd);
    return passwd;
  }

  private Path acl(String... rules) throws Exception {
    Path acl = dir.resolve("acl");
    Files.writeString(acl, String.join("\n", rules) + "\n", StandardCharsets.UTF_8);
    return acl;
  }

  private int start(String yaml) throws Exception {
    broker = TestBroker.start(ConfigLoader.parse(yaml, "test.yaml"));
    return broker.port();
  }

  private RawClient raw(MqttVersion version) throws Exception {
    RawClient c = RawClient.connect("127.0.0.1", broker.port(), version);
    raws.add(c);
    return c;
  }

  private static Connect connect5(String clientId, String user, String password) {
    return new Connect(
        MqttVersion.V5,
        clientId,
        true,
        60,
        user,
        password == null ? null : BinaryData.of(password.getBytes(StandardCharsets.UTF_8)),
        null,
        Properties.EMPTY);
  }

  /** A 5.0 client logged in as {@code user} (or claiming to be, where nothing checks). */
  private RawClient connected5(String clientId, String user, String password) throws Exception {
    RawClient c = raw(MqttVersion.V5);
    c.send(connect5(clientId, user, password));
    assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    return c;
  }

  private static ReasonCode publish(RawClient c, String topic, int packetId) throws Exception {
    c.send(Packets.publish(topic, "x", QoS.AT_LEAST_ONCE, packetId));
    return c.read(PubAck.class).reasonCode();
  }

  private static ReasonCode subscribe(RawClient c, String filter, int packetId) throws Exception {
    c.send(Packets.subscribe(packetId, filter, QoS.AT_LEAST_ONCE));
    return c.read(SubAck.class).reasonCodes().get(0);
  }

  // ---- 5: only authenticated logins count against a client id ----------------------------------

  @Test
  void loginsThatFailNeverLockAClientIdOutButItsOwnersReconnectsStillCount() throws Exception {
    Path passwd = passwords("alice", "alice-pw", "bob", "bob-pw");
    int port =
        start(
            "security:\n  authenticators: [file]\n  password_file: "
                + passwd
                + "\nabuse:\n  flap_connects: 3\n  flap_window_seconds: 60\n"
                + "  flap_cooloff_seconds: 60\n  max_failed_logins_per_minute: 0\n");
    String id = "alice-phone";
    // Anyone can send CONNECTs with alice's client id; none of them gets in, none counts.
    for (int i = 0; i < 10; i++) {
      assertThat(login(port, id, "alice", "guess-" + i))
          .isEqualTo(ReasonCode.BAD_USER_NAME_OR_PASSWORD);
      assertThat(login(port, id, null, null)).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    }
    assertThat(login(port, id, "alice", "alice-pw")).isEqualTo(ReasonCode.SUCCESS);
    // Another user's connections with that id count as theirs, whatever becomes of them.
    for (int i = 0; i < 5; i++) {
      login(port, id, "bob", "bob-pw");
    }
    assertThat(login(port, id, "alice", "alice-pw")).isEqualTo(ReasonCode.SUCCESS);
    // Alice's own connections that end abnormally (these close without DISCONNECT) are what the
    // limit is for: once the broker has counted three, she cools off. Each is counted when the
    // broker notices its close, so one or two more may get in first.
    ReasonCode last = ReasonCode.SUCCESS;
    for (int i = 0; i < 10 && last == ReasonCode.SUCCESS; i++) {
      last = login(port, id, "alice", "alice-pw");
    }
    // 3.1.1 return code 3 (5.0: 0x9F).
    assertThat(last).isEqualTo(ReasonCode.SERVER_UNAVAILABLE);
  }

  // ---- 7: an unproven user name is never the identity the ACL sees -----------------------------

  @Test
  void withoutAnAuthenticatorAClaimedUserNameGetsNoneOfThatUsersRights() throws Exception {
    Path acl = acl("user admin readwrite #", "all readwrite users/%u/#", "all readwrite open/#");
    start("security:\n  acl_file: " + acl + "\n");
    RawClient claimer = connected5(uniqueId("claims-admin"), "admin", "whatever");
    assertThat(subscribe(claimer, "#", 1)).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(publish(claimer, "plant/valve", 2)).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(publish(claimer, "users/admin/inbox", 3)).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    // It is an anonymous client: what all clients may do, it may.
    assertThat(publish(claimer, "open/x", 4).value()).isLessThan(0x80);
  }

  @Test
  void overTlsWithoutACertificateTheClaimedUserNameIsDropped() throws Exception {
    CertificateGenerator.Files certs = TlsSupport.certificates(dir.resolve("certs"), "device-7");
    Path acl = acl("user admin readwrite #", "user device-7 readwrite devices/#");
    TlsConfig tls =
        TlsConfig.server(certs.serverCert(), certs.serverKey())
            .withClientAuth(ClientAuth.REQUEST, certs.ca(), CertificateUsername.CN);
    broker =
        TestBroker.start(
            BrokerConfig.defaults()
                .withListeners(
                    List.of(
                        Listener.tcp("tcp", "127.0.0.1", 0),
                        Listener.of("mtls", Kind.TLS, "127.0.0.1", 0, tls)))
                .withSecurity(SecurityConfig.DEFAULT.with(null, List.of(), null, acl)));
    MqttClient noCertificate = tlsClient(TlsSupport.clientContext(certs.ca(), null, null), "admin");
    assertThatThrownBy(() -> noCertificate.subscribe("#", 1)).isInstanceOf(MqttException.class);
    assertThatThrownBy(() -> noCertificate.subscribe("devices/#", 1))
        .isInstanceOf(MqttException.class);
    noCertificate.disconnect();
    noCertificate.close();
    // The certificate's name is proved by the handshake: it is the identity, whatever CONNECT says.
    MqttClient device =
        tlsClient(
            TlsSupport.clientContext(certs.ca(), certs.clientCert(), certs.clientKey()), "admin");
    device.subscribe("devices/#", 1);
    assertThatThrownBy(() -> device.subscribe("#", 1)).isInstanceOf(MqttException.class);
    device.disconnect();
    device.close();
  }

  private MqttClient tlsClient(SSLContext ctx, String claimedUser) throws Exception {
    MqttClient c =
        new MqttClient(
            "ssl://localhost:" + broker.port("mtls"), uniqueId("tls"), new MemoryPersistence());
    MqttConnectOptions o = options(true);
    o.setSocketFactory(ctx.getSocketFactory());
    o.setUserName(claimedUser);
    o.setPassword("anything".toCharArray());
    c.connect(o);
    return c;
  }

  // ---- 10a: %c cannot be smuggled in through a user name ---------------------------------------

  @Test
  void aUserNamedPercentCGetsNoOtherClientsTopics() throws Exception {
    Path passwd = passwords("%c", "pw", "bob", "bob-pw");
    Path acl = acl("all readwrite users/%u/#");
    start(
        "security:\n  authenticators: [file]\n  password_file: "
            + passwd
            + "\n  acl_file: "
            + acl
            + "\n");
    // User "%c" connecting with client id "bob": users/%u/# must not become users/bob/#.
    RawClient smuggler = connected5("bob", "%c", "pw");
    assertThat(publish(smuggler, "users/bob/inbox", 1)).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(subscribe(smuggler, "users/bob/#", 2)).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    RawClient bob = connected5(uniqueId("bob"), "bob", "bob-pw");
    assertThat(publish(bob, "users/bob/inbox", 1).value()).isLessThan(0x80);
  }

  // ---- 10d: credentials that stop being valid end the connection -------------------------------

  @Test
  void usersDeletedFromThePasswordFileAreDisconnected() throws Exception {
    Path passwd = passwords("alice", "alice-pw", "bob", "bob-pw", "carol", "carol-pw");
    start(
        "security:\n  authenticators: [file]\n  password_file: "
            + passwd
            + "\n  reload_interval_seconds: 1\n");
    RawClient alice = connected5(uniqueId("alice"), "alice", "alice-pw");
    RawClient bob = connected5(uniqueId("bob"), "bob", "bob-pw");
    RawClient carol = raw(MqttVersion.V3_1_1);
    carol.send(SecuritySupport.connect(uniqueId("carol"), "carol", "carol-pw"));
    assertThat(carol.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);

    PasswordFile.load(passwd).without("bob").without("carol").save(passwd);
    MqttPacket last = bob.read(Duration.ofSeconds(15));
    assertThat(last).isInstanceOf(Disconnect.class);
    assertThat(((Disconnect) last).reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(bob.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    // 3.1.1 has no DISCONNECT from the server: the connection is closed.
    assertThat(carol.isClosedWithin(Duration.ofSeconds(10))).isTrue();
    // The users still in the file stay.
    alice.send(PingReq.INSTANCE);
    assertThat(alice.read()).isInstanceOf(PingResp.class);
  }

  @Test
  void aTokenConnectionEndsWhenTheTokenExpires() throws Exception {
    Path secret = Files.writeString(dir.resolve("jwt.secret"), HMAC, StandardCharsets.UTF_8);
    start(
        "security:\n  authenticators: [jwt]\n  jwt:\n    hmac_secret_file: "
            + secret
            + "\n    clock_skew_seconds: 0\n");
    long expiresAt = System.currentTimeMillis() + 3000;
    String token = token("dave", expiresAt);
    RawClient v5 = connected5(uniqueId("dave"), "dave", token);
    RawClient v3 = raw(MqttVersion.V3_1_1);
    v3.send(SecuritySupport.connect(uniqueId("dave"), "dave", token));
    assertThat(v3.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    RawClient longer = connected5(uniqueId("erin"), "erin", token("erin", expiresAt + 600_000));

    MqttPacket last = v5.read(Duration.ofSeconds(15));
    assertThat(last).isInstanceOf(Disconnect.class);
    // 0xA0, maximum connect time: the connection time the token authorised is over.
    assertThat(((Disconnect) last).reasonCode()).isEqualTo(ReasonCode.MAXIMUM_CONNECT_TIME);
    assertThat(System.currentTimeMillis()).isGreaterThanOrEqualTo(expiresAt - 1000);
    assertThat(v3.isClosedWithin(Duration.ofSeconds(10))).isTrue();
    longer.send(PingReq.INSTANCE);
    assertThat(longer.read()).isInstanceOf(PingResp.class);
  }

  private static String token(String user, long expiresAtMillis) throws Exception {
    SignedJWT t =
        new SignedJWT(
            new JWSHeader(JWSAlgorithm.HS256),
            new JWTClaimsSet.Builder()
                .subject(user)
                .expirationTime(new Date(expiresAtMillis))
                .build());
    t.sign(new MACSigner(HMAC.getBytes(StandardCharsets.UTF_8)));
    return t.serialize();
  }
}
