package io.starling.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class BackoffTest {
  private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10));

  @Test
  void doublesFromTheMinimumWithJitterInTheUpperHalf() {
    for (int i = 0; i < 200; i++) {
      assertThat(backoff.delayMillis(0)).isBetween(50L, 100L);
      assertThat(backoff.delayMillis(3)).isBetween(400L, 800L);
    }
  }

  @Test
  void neverExceedsTheMaximumEvenAfterManyAttempts() {
    for (int attempt = 0; attempt < 100; attempt++) {
      assertThat(backoff.delayMillis(attempt)).isBetween(50L, 10_000L);
    }
    assertThat(backoff.delayMillis(64)).isGreaterThanOrEqualTo(5_000L);
  }

  @Test
  void spreadsClientsDroppedTogether() {
    long first = backoff.delayMillis(6);
    boolean differs = false;
    for (int i = 0; i < 50 && !differs; i++) {
      differs = backoff.delayMillis(6) != first;
    }
    assertThat(differs).isTrue();
  }
}
