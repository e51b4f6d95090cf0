package io.starling.broker.logging;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A log line that one client's behaviour can repeat (a refused login, a closed connection) written
 * at most {@code perInterval} times per interval; what was held back is counted and said with the
 * next line that is written. Thread-safe and lock-free: a flood of refusals costs a counter
 * increment each, not a line each.
 */
public final class RateLimitedLog {
  private static final String SUPPRESSED = " ({} similar lines held back before this one)";

  private final Logger log;
  private final int perInterval;
  private final long intervalNanos;
  private final LongSupplier clock;
  private final AtomicLong windowStart;
  private final AtomicLong inWindow = new AtomicLong();
  private final AtomicLong suppressed = new AtomicLong();

  /** At most {@code perInterval} lines each {@code intervalSeconds}. */
  public RateLimitedLog(Logger log, int perInterval, int intervalSeconds) {
    this(log, perInterval, TimeUnit.SECONDS.toNanos(intervalSeconds), System::nanoTime);
  }

  RateLimitedLog(Logger log, int perInterval, long intervalNanos, LongSupplier clock) {
    this.log = log;
    this.perInterval = perInterval;
    this.intervalNanos = intervalNanos;
    this.clock = clock;
    this.windowStart = new AtomicLong(clock.getAsLong());
  }

  /** Writes an INFO line unless this interval's share is used up (no exception argument). */
  public void info(String format, Object... args) {
    if (log.isInfoEnabled() && admit()) {
      long held = suppressed.getAndSet(0);
      log.info(held == 0 ? format : format + SUPPRESSED, held == 0 ? args : append(args, held));
    }
  }

  /** Writes a WARN line unless this interval's share is used up (no exception argument). */
  public void warn(String format, Object... args) {
    if (log.isWarnEnabled() && admit()) {
      long held = suppressed.getAndSet(0);
      log.warn(held == 0 ? format : format + SUPPRESSED, held == 0 ? args : append(args, held));
    }
  }

  /** Lines held back so far and not yet reported. */
  long suppressed() {
    return suppressed.get();
  }

  private boolean admit() {
    long now = clock.getAsLong();
    long start = windowStart.get();
    if (now - start >= intervalNanos && windowStart.compareAndSet(start, now)) {
      inWindow.set(0);
    }
    if (inWindow.incrementAndGet() <= perInterval) {
      return true;
    }
    suppressed.incrementAndGet();
    return false;
  }

  private static Object[] append(Object[] args, long held) {
    Object[] out = Arrays.copyOf(args, args.length + 1);
    out[args.length] = held;
    return out;
  }
}
