package io.starling.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.embedded.EmbeddedChannel;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.SecurityConfig;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.transport.ConnectionAttributes;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Properties;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The login decisions of {@link Security}, on an embedded channel. */
@Timeout(30)
class SecurityLoginTest {
  private Security security;
  private final BrokerStats stats = new BrokerStats();

  @AfterEach
  void close() {
    if (security != null) {
      security.close();
    }
  }

  private static Connect connect(String user, String password) {
    return new Connect(
        MqttVersion.V3_1_1,
        "c1",
        true,
        60,
        user,
        password == null ? null : BinaryData.of(password.getBytes(StandardCharsets.UTF_8)),
        null,
        Properties.EMPTY);
  }

  private Login login(SecurityConfig config, EmbeddedChannel ch, Connect c) throws Exception {
    security = Security.start(BrokerConfig.defaults().withSecurity(config), stats);
    AtomicReference<Login> result = new AtomicReference<>();
    security.login(
        c,
        "c1",
        ConnectionAttributes.peerOf(ch),
        ch.eventLoop(),
        () -> ch.config().setAutoRead(false),
        l -> {
          ch.config().setAutoRead(true);
          result.set(l);
        });
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              ch.runPendingTasks();
              return result.get() != null;
            });
    assertThat(ch.config().isAutoRead()).as("reading resumes after the login").isTrue();
    return result.get();
  }

  private static SecurityConfig fileOnly(Path dir) throws Exception {
    Path file = dir.resolve("passwd");
    PasswordFile.empty().with("alice", "pw".toCharArray(), 1000).save(file);
    return SecurityConfig.DEFAULT.with(null, List.of("file"), file, null);
  }

  @Test
  void withoutAuthenticatorsEveryoneGetsIn() throws Exception {
    Login l = login(SecurityConfig.DEFAULT, new EmbeddedChannel(), connect(null, null));
    assertThat(l.isSuccess()).isTrue();
    assertThat(l.policy().username()).isNull();
  }

  @Test
  void onceAnAuthenticatorIsConfiguredAnonymousIsRefusedUnlessTheListenerAllowsIt(@TempDir Path dir)
      throws Exception {
    SecurityConfig config = fileOnly(dir);
    assertThat(login(config, new EmbeddedChannel(), connect(null, null)).reason())
        .isEqualTo(ReasonCode.NOT_AUTHORIZED);
    security.close();
    EmbeddedChannel open = new EmbeddedChannel();
    open.attr(ConnectionAttributes.ALLOW_ANONYMOUS).set(true);
    assertThat(login(config, open, connect(null, null)).isSuccess()).isTrue();
  }

  @Test
  void passwordsAreCheckedOffTheCallingThreadAndAnsweredOnTheEventLoop(@TempDir Path dir)
      throws Exception {
    SecurityConfig config = fileOnly(dir);
    Login ok = login(config, new EmbeddedChannel(), connect("alice", "pw"));
    assertThat(ok.isSuccess()).isTrue();
    assertThat(ok.policy().username()).isEqualTo("alice");
    security.close();
    assertThat(login(config, new EmbeddedChannel(), connect("alice", "nope")).reason())
        .isEqualTo(ReasonCode.BAD_USER_NAME_OR_PASSWORD);
    assertThat(stats.loginsFailed.sum()).isEqualTo(1);
  }

  @Test
  void withoutAnAuthenticatorAClaimedUserNameIsDropped() throws Exception {
    Login l = login(SecurityConfig.DEFAULT, new EmbeddedChannel(), connect("admin", "anything"));
    assertThat(l.isSuccess()).isTrue();
    assertThat(l.policy().username()).as("nothing proved the name").isNull();
  }

  @Test
  void aCertificateUserNameNeedsNoPassword(@TempDir Path dir) throws Exception {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.attr(ConnectionAttributes.CERTIFICATE_USERNAME).set("device-42");
    Login l = login(fileOnly(dir), ch, connect("whoever", "wrong"));
    assertThat(l.isSuccess()).isTrue();
    assertThat(l.policy().username()).isEqualTo("device-42");
  }

  @Test
  void anUnknownAuthenticatorNameStopsStartUpAndNamesTheKey() {
    SecurityConfig config = SecurityConfig.DEFAULT.with(null, List.of("ldap"), null, null);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Security.start(BrokerConfig.defaults().withSecurity(config), stats))
        .hasMessageContaining("security.authenticators")
        .hasMessageContaining("ldap")
        .hasMessageContaining("file");
  }
}
