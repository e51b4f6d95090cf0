package io.starling.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@code limits.max_sessions} and {@code security.allow_takeover_by_other_user}. */
class SessionKeysConfigTest {
  @Test
  void theDefaultsAreSafe() {
    BrokerConfig d = BrokerConfig.defaults();
    assertThat(d.limits().maxSessions()).isEqualTo(200_000);
    assertThat(d.security().allowTakeoverByOtherUser()).isFalse();
  }

  @Test
  void theKeysAreRead() throws Exception {
    BrokerConfig c =
        ConfigLoader.parse(
            String.join(
                "\n",
                "limits:",
                "  max_sessions: 50",
                "security:",
                "  allow_takeover_by_other_user: true"),
            "t.yaml");
    assertThat(c.limits().maxSessions()).isEqualTo(50);
    assertThat(c.security().allowTakeoverByOtherUser()).isTrue();
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> ConfigLoader.parse("limits:\n  max_sessions: 0\n", "t.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("limits.max_sessions");
    assertThatThrownBy(
            () ->
                ConfigLoader.parse("security:\n  allow_takeover_by_other_user: maybe\n", "t.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("security.allow_takeover_by_other_user");
    assertThatThrownBy(() -> BrokerConfig.Limits.DEFAULT.toBuilder().maxSessions(0).build())
        .hasMessageContaining("limits.max_sessions");
  }
}
