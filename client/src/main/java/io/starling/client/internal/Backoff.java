package io.starling.client.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reconnect delays: exponential from a minimum to a maximum, with "equal jitter" (a random delay
 * between half the step and the whole step), so that many clients dropped at once by a broker do
 * not all come back at the same moment.
 */
public final class Backoff {
  private final long minMillis;
  private final long maxMillis;

  public Backoff(Duration min, Duration max) {
    this.minMillis = Math.max(1, min.toMillis());
    this.maxMillis = Math.max(minMillis, max.toMillis());
  }

  /** The delay before attempt {@code attempt} (0 for the first retry), in milliseconds. */
  public long delayMillis(int attempt) {
    long step = minMillis << Math.min(attempt, 30);
    if (step <= 0 || step > maxMillis) {
      step = maxMillis;
    }
    long half = step / 2;
    return half + ThreadLocalRandom.current().nextLong(step - half + 1);
  }
}
