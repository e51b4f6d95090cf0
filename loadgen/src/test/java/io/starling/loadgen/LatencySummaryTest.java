package io.starling.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The percentiles of the RESULT line, against inputs whose percentiles are known. */
class LatencySummaryTest {
  private static Histogram of(long... micros) {
    Histogram h = new Histogram(60_000_000L, 3);
    for (long v : micros) {
      h.recordValue(v);
    }
    return h;
  }

  @Test
  void oneToTenThousandHasItsPercentilesAtTheirRanks() {
    Histogram h = new Histogram(60_000_000L, 3);
    for (long v = 1; v <= 10_000; v++) {
      h.recordValue(v);
    }
    LatencySummary s = LatencySummary.of(h);
    // Three significant digits: within 0.1% of the exact rank, never below it.
    assertThat(s.p50()).isBetween(5_000L, 5_005L);
    assertThat(s.p90()).isBetween(9_000L, 9_009L);
    assertThat(s.p99()).isBetween(9_900L, 9_910L);
    assertThat(s.p999()).isBetween(9_990L, 10_000L);
    assertThat(s.max()).isBetween(10_000L, 10_010L);
  }

  @Test
  void smallValuesAreExact() {
    LatencySummary s = LatencySummary.of(of(40, 50, 60, 70, 80, 90, 100, 110, 120, 130));
    assertThat(s.p50()).isEqualTo(80);
    assertThat(s.p90()).isEqualTo(120);
    assertThat(s.p99()).isEqualTo(130);
    assertThat(s.p999()).isEqualTo(130);
    assertThat(s.max()).isEqualTo(130);
  }

  @Test
  void oneStallInAThousandShowsInTheMaximumOnlyAndTenInP99Point9() {
    long[] oneStall = new long[1000];
    java.util.Arrays.fill(oneStall, 70);
    oneStall[500] = 4_000;
    LatencySummary one = LatencySummary.of(of(oneStall));
    assertThat(one.p99()).isEqualTo(70);
    assertThat(one.p999()).isEqualTo(70);
    assertThat(one.max()).isCloseTo(4_000L, within(4L));

    long[] tenStalls = oneStall.clone();
    for (int i = 0; i < 10; i++) {
      tenStalls[i * 100] = 4_000;
    }
    LatencySummary ten = LatencySummary.of(of(tenStalls));
    assertThat(ten.p99()).isEqualTo(70);
    assertThat(ten.p999()).isCloseTo(4_000L, within(4L));
  }

  @Test
  void nothingRecordedIsMinusOneEverywhere() {
    assertThat(LatencySummary.of(of())).isEqualTo(new LatencySummary(-1, -1, -1, -1, -1));
  }
}
