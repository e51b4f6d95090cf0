package io.starling.broker.security.internal;

/**
 * A rate limit with a one-second burst (the generic cell rate algorithm): each unit of work moves a
 * theoretical arrival time forward by {@code 1/rate} seconds; work that pushes it more than a
 * second ahead of now is over the limit by the excess. One instance per client, used on its event
 * loop only.
 */
public final class RateLimiter {
  private static final long BURST_NANOS = 1_000_000_000L;

  private final double nanosPerUnit;
  private long theoreticalArrival;

  /** A limit of {@code perSecond} units a second; must be positive. */
  public RateLimiter(long perSecond) {
    this.nanosPerUnit = 1e9 / perSecond;
  }

  /**
   * Accounts for {@code units} at {@code nowNanos} and returns how many nanoseconds the caller is
   * ahead of the rate (0 when within it).
   */
  public long acquire(long units, long nowNanos) {
    long start = theoreticalArrival - nowNanos < 0 ? nowNanos : theoreticalArrival;
    theoreticalArrival = start + (long) (units * nanosPerUnit);
    long ahead = theoreticalArrival - nowNanos - BURST_NANOS;
    return Math.max(0, ahead);
  }
}
