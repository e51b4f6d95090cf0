package io.starling.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code abuse.unwritable_timeout_seconds}: its default, its range, and errors naming it. */
@Timeout(10)
class UnwritableTimeoutConfigTest {
  @Test
  void thirtySecondsByDefault() throws Exception {
    assertThat(BrokerConfig.defaults().abuse().unwritableTimeoutSeconds()).isEqualTo(30);
    assertThat(ConfigLoader.parse("abuse:\n  max_subscriptions: 5\n", "t.yaml"))
        .extracting(c -> c.abuse().unwritableTimeoutSeconds())
        .isEqualTo(30);
  }

  @Test
  void isReadFromTheAbuseSectionAndZeroTurnsItOff() throws Exception {
    BrokerConfig c = ConfigLoader.parse("abuse:\n  unwritable_timeout_seconds: 5\n", "t.yaml");
    assertThat(c.abuse().unwritableTimeoutSeconds()).isEqualTo(5);
    BrokerConfig off = ConfigLoader.parse("abuse:\n  unwritable_timeout_seconds: 0\n", "t.yaml");
    assertThat(off.abuse().unwritableTimeoutSeconds()).isZero();
  }

  @Test
  void aBadValueNamesTheKeyAndTheLine() {
    assertThatThrownBy(
            () -> ConfigLoader.parse("abuse:\n  unwritable_timeout_seconds: -1\n", "t.yaml"))
        .hasMessageContaining("t.yaml:2")
        .hasMessageContaining("abuse.unwritable_timeout_seconds");
    assertThatThrownBy(
            () -> ConfigLoader.parse("abuse:\n  unwritable_timeout_seconds: soon\n", "t.yaml"))
        .hasMessageContaining("abuse.unwritable_timeout_seconds");
    AbuseLimits d = AbuseLimits.DEFAULT;
    assertThatThrownBy(
            () ->
                new AbuseLimits(
                    d.maxPublishRate(),
                    d.maxPublishBytesRate(),
                    d.publishRateAction(),
                    d.maxSubscriptions(),
                    d.maxConnectionsPerAddress(),
                    d.maxConnectionRatePerAddress(),
                    d.flapConnects(),
                    d.flapWindowSeconds(),
                    d.flapCooloffSeconds(),
                    d.maxFailedLoginsPerMinute(),
                    d.memoryHighWatermarkPercent(),
                    -1))
        .hasMessageContaining("abuse.unwritable_timeout_seconds");
  }
}
