package io.starling.loadgen;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Messages received in each second of a traffic run, warm-up included, from the start of
 * publishing: how fast a broker gets to full speed (a cold JVM compiles its hot paths while the
 * first seconds run). Samples a cumulative count once a second; the rate of a second is its count
 * divided by the time actually between its two samples, so a late wake-up does not show as a dip.
 * Used by one thread (the run's main thread).
 */
final class PerSecond {
  private static final long SECOND_NANOS = 1_000_000_000L;

  /** The most seconds kept; a longer run reports its first this many. */
  static final int MAX_SECONDS = 3600;

  private final long startNanos;
  private final long[] rates = new long[MAX_SECONDS];
  private int seconds;
  private long lastNanos;
  private long lastCount;

  /**
   * @param startNanos {@link System#nanoTime} when publishing started
   * @param count the cumulative count then
   */
  PerSecond(long startNanos, long count) {
    this.startNanos = startNanos;
    this.lastNanos = startNanos;
    this.lastCount = count;
  }

  /** When the next sample is due, in {@link System#nanoTime} terms. */
  long nextSampleNanos() {
    return startNanos + (seconds + 1) * SECOND_NANOS;
  }

  /**
   * Records the cumulative count at {@code nowNanos} (at or after {@link #nextSampleNanos}): the
   * seconds since the last sample all get the rate between the two samples.
   */
  void sample(long nowNanos, long count) {
    long elapsed = nowNanos - lastNanos;
    if (elapsed <= 0) {
      return;
    }
    long rate = Math.round((count - lastCount) * (double) SECOND_NANOS / elapsed);
    int upTo = (int) Math.min(MAX_SECONDS, (nowNanos - startNanos) / SECOND_NANOS);
    while (seconds < upTo) {
      rates[seconds++] = rate;
    }
    lastNanos = nowNanos;
    lastCount = count;
  }

  /** The rate of each whole second so far, from the first. */
  long[] rates() {
    return Arrays.copyOf(rates, seconds);
  }

  /**
   * The machine-readable line, e.g. {@code PER_SECOND scenario=fanin received=209112,310440}; the
   * numbers are messages received in seconds 1, 2... after publishing started.
   */
  String line(String scenario) {
    return String.format(
        Locale.ROOT,
        "PER_SECOND scenario=%s received=%s",
        scenario,
        Arrays.stream(rates()).mapToObj(Long::toString).collect(Collectors.joining(",")));
  }
}
