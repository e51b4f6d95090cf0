package io.starling.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The authentication queue keys of the {@code security:} section. */
class SecuritySectionsTest {
  @Test
  void theAuthenticationQueueKeysAreReadWithTheirDefaults() throws Exception {
    SecurityConfig d = ConfigLoader.parse("", "t.yaml").security();
    assertThat(d.authQueueSize()).isEqualTo(1024);
    assertThat(d.authQueuePerAddress()).isEqualTo(16);
    SecurityConfig s =
        ConfigLoader.parse(
                "security:\n  auth_queue_size: 64\n  auth_queue_per_address: 4\n", "t.yaml")
            .security();
    assertThat(s.authQueueSize()).isEqualTo(64);
    assertThat(s.authQueuePerAddress()).isEqualTo(4);
  }

  @Test
  void aBadValueNamesItsKey() {
    assertThatThrownBy(
            () -> ConfigLoader.parse("security:\n  auth_queue_per_address: 0\n", "t.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("security.auth_queue_per_address");
    assertThatThrownBy(() -> SecurityConfig.DEFAULT.withAuthQueue(0, 1))
        .hasMessageContaining("security.auth_queue_size");
  }
}
