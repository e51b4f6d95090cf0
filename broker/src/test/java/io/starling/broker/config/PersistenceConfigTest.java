package io.starling.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PersistenceConfigTest {
  @Test
  void persistenceIsOffByDefault() throws Exception {
    assertThat(ConfigLoader.parse("", "t.yaml").persistence())
        .isEqualTo(PersistenceConfig.DISABLED);
  }

  @Test
  void theKeysAreRead() throws Exception {
    PersistenceConfig p =
        ConfigLoader.parse(
                String.join(
                    "\n",
                    "persistence:",
                    "  enabled: true",
                    "  data_dir: /var/lib/starling",
                    "  durability: periodic",
                    "  flush_interval_ms: 50",
                    "  max_offline_messages: 1000",
                    "  force_start: true"),
                "t.yaml")
            .persistence();
    assertThat(p)
        .isEqualTo(
            new PersistenceConfig(
                true,
                Path.of("/var/lib/starling"),
                PersistenceConfig.Durability.PERIODIC,
                50,
                1000,
                true));
  }

  @Test
  void badValuesNameTheirKey() {
    assertThatThrownBy(() -> ConfigLoader.parse("persistence:\n  enabled: true\n", "t.yaml"))
        .hasMessageContaining("persistence.data_dir");
    assertThatThrownBy(() -> ConfigLoader.parse("persistence:\n  durability: always\n", "t.yaml"))
        .hasMessageContaining("persistence.durability")
        .hasMessageContaining("sync or periodic");
    assertThatThrownBy(() -> ConfigLoader.parse("persistence:\n  flush_interval_ms: 0\n", "t.yaml"))
        .hasMessageContaining("persistence.flush_interval_ms");
    assertThatThrownBy(() -> ConfigLoader.parse("persistence:\n  dir: x\n", "t.yaml"))
        .hasMessageContaining("persistence.dir");
  }
}
