package io.starling.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class JvmDescriptionTest {
  @Test
  void namesEachCollectorByItsMxBeans() {
    assertThat(JvmDescription.gcName(List.of("G1 Young Generation", "G1 Old Generation")))
        .isEqualTo("G1");
    assertThat(
            JvmDescription.gcName(
                List.of("G1 Young Generation", "G1 Concurrent GC", "G1 Old Generation")))
        .isEqualTo("G1");
    assertThat(JvmDescription.gcName(List.of("Copy", "MarkSweepCompact"))).isEqualTo("Serial");
    assertThat(JvmDescription.gcName(List.of("PS Scavenge", "PS MarkSweep"))).isEqualTo("Parallel");
    assertThat(JvmDescription.gcName(List.of("ZGC Cycles", "ZGC Pauses"))).isEqualTo("Z");
    assertThat(JvmDescription.gcName(List.of("ZGC Minor Cycles", "ZGC Major Pauses")))
        .isEqualTo("Z");
    assertThat(JvmDescription.gcName(List.of("Shenandoah Pauses", "Shenandoah Cycles")))
        .isEqualTo("Shenandoah");
    assertThat(JvmDescription.gcName(List.of("Mystery"))).isEqualTo("Mystery");
    assertThat(JvmDescription.gcName(List.of())).isEqualTo("unknown");
  }

  @Test
  void describesTheRunningJvm() {
    assertThat(JvmDescription.describe())
        .startsWith("JDK " + Runtime.version() + " (")
        .endsWith(" GC");
  }
}
