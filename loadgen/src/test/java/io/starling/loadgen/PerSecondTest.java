package io.starling.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PerSecondTest {
  private static final long S = 1_000_000_000L;

  @Test
  void eachSecondGetsWhatArrivedInIt() {
    PerSecond p = new PerSecond(5 * S, 100);
    assertThat(p.nextSampleNanos()).isEqualTo(6 * S);
    p.sample(6 * S, 200_100);
    p.sample(7 * S, 600_100);
    p.sample(8 * S, 1_000_100);
    assertThat(p.rates()).containsExactly(200_000, 400_000, 400_000);
    assertThat(p.nextSampleNanos()).isEqualTo(9 * S);
    assertThat(p.line("fanin"))
        .isEqualTo("PER_SECOND scenario=fanin received=200000,400000,400000");
  }

  @Test
  void aLateSampleIsARateOverTheTimeActuallyElapsed() {
    PerSecond p = new PerSecond(0, 0);
    p.sample(S + S / 2, 150_000); // woke half a second late: 100,000/s, not 150,000
    assertThat(p.rates()).containsExactly(100_000);
    p.sample(3 * S, 450_000); // seconds 2 and 3 share the 200,000/s since then
    assertThat(p.rates()).containsExactly(100_000, 200_000, 200_000);
    assertThat(p.nextSampleNanos()).isEqualTo(4 * S);
  }

  @Test
  void nothingSampledIsAnEmptySeries() {
    PerSecond p = new PerSecond(0, 0);
    assertThat(p.rates()).isEmpty();
    assertThat(p.line("latency")).isEqualTo("PER_SECOND scenario=latency received=");
  }
}
