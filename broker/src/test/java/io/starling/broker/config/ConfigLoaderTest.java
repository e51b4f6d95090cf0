package io.starling.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.broker.config.BrokerConfig.Limits;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

  @Test
  void anEmptyFileGivesTheDefaults() throws Exception {
    assertThat(ConfigLoader.parse("", "t.yaml")).isEqualTo(BrokerConfig.defaults());
  }

  @Test
  void theShippedExampleIsValidAndEqualsTheDefaults() throws Exception {
    Path example = Path.of("..", "config", "starling.yaml");
    assertThat(Files.exists(example)).isTrue();
    assertThat(ConfigLoader.load(example)).isEqualTo(BrokerConfig.defaults());
  }

  @Test
  void valuesAreRead() throws Exception {
    BrokerConfig c =
        ConfigLoader.parse(
            String.join(
                "\n",
                "listeners:",
                "  - kind: tcp",
                "    bind: 127.0.0.1",
                "    port: 1884",
                "limits:",
                "  max_packet_size: 64KiB",
                "  queue_overflow: drop_oldest",
                "  queue_qos0_while_offline: yes",
                "sys:",
                "  interval_seconds: 0"),
            "t.yaml");
    assertThat(c.listeners()).containsExactly(BrokerConfig.Listener.tcp("tcp", "127.0.0.1", 1884));
    assertThat(c.limits().maxPacketSizeBytes()).isEqualTo(65536);
    assertThat(c.limits().queueOverflow()).isEqualTo(BrokerConfig.QueueOverflow.DROP_OLDEST);
    assertThat(c.limits().queueQos0WhileOffline()).isTrue();
    assertThat(c.sys().intervalSeconds()).isZero();
  }

  @Test
  void mqttSettingsAreRead() throws Exception {
    Protocol p =
        ConfigLoader.parse(
                String.join(
                    "\n",
                    "mqtt:",
                    "  maximum_qos: 1",
                    "  retain_available: false",
                    "  topic_alias_maximum: 0",
                    "  receive_maximum: 20",
                    "  max_session_expiry_seconds: 3600",
                    "  max_keep_alive_seconds: 120",
                    "  response_information: responses/%c/",
                    "  redirect_to: other.example:1883",
                    "  redirect_permanent: true"),
                "t.yaml")
            .protocol();
    assertThat(p)
        .isEqualTo(
            new Protocol(1, false, 0, 20, 3600, 120, "responses/%c/", "other.example:1883", true));
  }

  @Test
  void theStateLimitsAreRead() throws Exception {
    BrokerConfig c =
        ConfigLoader.parse(
            String.join(
                "\n",
                "limits:",
                "  max_queued_bytes: 1MiB",
                "  max_retained_messages: 500",
                "  max_retained_bytes: 2GiB",
                "  max_subscription_bytes: 4KiB",
                "mqtt:",
                "  persistent_session_expiry_seconds: 3600"),
            "t.yaml");
    assertThat(c.limits().maxQueuedBytes()).isEqualTo(1 << 20);
    assertThat(c.limits().maxRetainedMessages()).isEqualTo(500);
    assertThat(c.limits().maxRetainedBytes()).isEqualTo(2L << 30);
    assertThat(c.limits().maxSubscriptionBytes()).isEqualTo(4096);
    assertThat(c.protocol().persistentSessionExpirySeconds()).isEqualTo(3600);
    BrokerConfig d = BrokerConfig.defaults();
    assertThat(d.limits().maxQueuedBytes()).isEqualTo(16L << 20);
    assertThat(d.limits().maxRetainedMessages()).isEqualTo(1_000_000);
    assertThat(d.limits().maxRetainedBytes()).isEqualTo(256L << 20);
    assertThat(d.limits().maxSubscriptionBytes()).isEqualTo(256L << 10);
    assertThat(d.protocol().persistentSessionExpirySeconds()).isEqualTo(7 * 24 * 3600);
  }

  @Test
  void badStateLimitsNameTheKeyAndLine() {
    assertThatThrownBy(() -> ConfigLoader.parse("limits:\n  max_retained_bytes: 0\n", "t"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("t:2")
        .hasMessageContaining("limits.max_retained_bytes");
    assertThatThrownBy(() -> ConfigLoader.parse("limits:\n  max_queued_bytes: lots\n", "t"))
        .hasMessageContaining("limits.max_queued_bytes");
    assertThatThrownBy(
            () -> ConfigLoader.parse("mqtt:\n  persistent_session_expiry_seconds: 0\n", "t"))
        .hasMessageContaining("t:2")
        .hasMessageContaining("mqtt.persistent_session_expiry_seconds");
    assertThatThrownBy(() -> Limits.DEFAULT.toBuilder().maxSubscriptionBytes(0).build())
        .hasMessageContaining("limits.max_subscription_bytes");
  }

  @Test
  void theSlowSubscriberTimeoutAndTheWindowCapAreRead() throws Exception {
    BrokerConfig c =
        ConfigLoader.parse(
            "limits:\n  slow_subscriber_timeout_seconds: 5\n  max_inflight_messages: 100\n", "t");
    assertThat(c.limits().slowSubscriberTimeoutSeconds()).isEqualTo(5);
    assertThat(c.limits().maxInflightMessages()).isEqualTo(100);
    assertThat(Limits.DEFAULT.slowSubscriberTimeoutSeconds()).isEqualTo(30);
    assertThat(Limits.DEFAULT.maxInflightMessages()).isEqualTo(1024);
    assertThatThrownBy(
            () -> ConfigLoader.parse("limits:\n  slow_subscriber_timeout_seconds: -1\n", "t"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("t:2")
        .hasMessageContaining("limits.slow_subscriber_timeout_seconds");
    assertThatThrownBy(() -> Limits.DEFAULT.toBuilder().slowSubscriberTimeoutSeconds(-1).build())
        .hasMessageContaining("limits.slow_subscriber_timeout_seconds");
  }

  @Test
  void aSessionExpiryBeyondFourBytesIsRefused() {
    assertThatThrownBy(
            () -> ConfigLoader.parse("mqtt:\n  max_session_expiry_seconds: 4294967296\n", "t"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("t:2")
        .hasMessageContaining("mqtt.max_session_expiry_seconds");
  }

  @Test
  void aMaximumQosOfThreeIsRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("mqtt:\n  maximum_qos: 3\n", "t"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("mqtt.maximum_qos");
  }

  @Test
  void anUnknownKeyIsNamedWithItsLine() {
    assertThatThrownBy(() -> ConfigLoader.parse("listeners:\n  - port: 1\n    prot: 2\n", "t.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("t.yaml:3")
        .hasMessageContaining("listeners[0].prot");
  }

  @Test
  void aBadValueIsNamedWithItsLine() {
    assertThatThrownBy(
            () -> ConfigLoader.parse("limits:\n  max_inflight_messages: lots\n", "t.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("t.yaml:2")
        .hasMessageContaining("limits.max_inflight_messages");
    assertThatThrownBy(
            () -> ConfigLoader.parse("listeners:\n  - kind: tcp\n    port: 70000\n", "t.yaml"))
        .hasMessageContaining("listeners[0].port")
        .hasMessageContaining("between 0 and 65535");
    assertThatThrownBy(() -> ConfigLoader.parse("limits:\n  queue_overflow: spill\n", "t.yaml"))
        .hasMessageContaining("drop_new or drop_oldest");
    assertThatThrownBy(() -> ConfigLoader.parse("limits: 5\n", "t.yaml"))
        .hasMessageContaining("'limits' must be a mapping");
    assertThatThrownBy(() -> ConfigLoader.parse("listeners: [\n", "t.yaml"))
        .hasMessageContaining("not valid YAML");
  }

  @Test
  void aMissingFileIsNamed() {
    assertThatThrownBy(() -> ConfigLoader.load(Path.of("no/such/file.yaml")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("no/such/file.yaml");
  }

  @Test
  void securityAndAbuseSectionsAreRead() throws Exception {
    BrokerConfig c =
        ConfigLoader.parse(
            String.join(
                "\n",
                "security:",
                "  allow_anonymous: false",
                "  authenticators: [file, jwt, my-ldap]",
                "  password_file: /etc/starling/passwd",
                "  acl_file: /etc/starling/acl",
                "  jwt:",
                "    username_claim: email",
                "  plugins:",
                "    my-ldap:",
                "      url: ldap://x",
                "abuse:",
                "  max_publish_rate: 100",
                "  publish_rate_action: disconnect",
                "  max_connections_per_address: 20"),
            "t.yaml");
    assertThat(c.security().anonymousAllowed()).isFalse();
    assertThat(c.security().authenticators()).containsExactly("file", "jwt", "my-ldap");
    assertThat(c.security().passwordFile()).isEqualTo(Path.of("/etc/starling/passwd"));
    assertThat(c.security().jwt().usernameClaim()).isEqualTo("email");
    assertThat(c.security().plugins().get("my-ldap")).containsEntry("url", "ldap://x");
    assertThat(c.abuse().maxPublishRate()).isEqualTo(100);
    assertThat(c.abuse().publishRateAction()).isEqualTo(AbuseLimits.RateAction.DISCONNECT);
    assertThat(c.abuse().maxConnectionsPerAddress()).isEqualTo(20);
  }

  @Test
  void anonymousIsAllowedByDefaultOnlyWithoutAuthenticators() throws Exception {
    assertThat(BrokerConfig.defaults().security().anonymousAllowed()).isTrue();
    BrokerConfig c = ConfigLoader.parse("security:\n  authenticators: [jwt]\n", "t.yaml");
    assertThat(c.security().anonymousAllowed()).isFalse();
  }

  @Test
  void badSecurityValuesNameTheKey() {
    assertThatThrownBy(() -> ConfigLoader.parse("security:\n  authenticators: file\n", "t.yaml"))
        .hasMessageContaining("t.yaml:2")
        .hasMessageContaining("security.authenticators");
    assertThatThrownBy(() -> ConfigLoader.parse("security:\n  authenticators: [file]\n", "t.yaml"))
        .hasMessageContaining("security.password_file");
    assertThatThrownBy(() -> ConfigLoader.parse("abuse:\n  publish_rate_action: shout\n", "t.yaml"))
        .hasMessageContaining("abuse.publish_rate_action");
    assertThatThrownBy(() -> ConfigLoader.parse("security:\n  jwt:\n    algo: x\n", "t.yaml"))
        .hasMessageContaining("security.jwt.algo");
  }
}
