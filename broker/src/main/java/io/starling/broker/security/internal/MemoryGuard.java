package io.starling.broker.security.internal;

import io.netty.util.internal.PlatformDependent;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.function.LongSupplier;

/**
 * Whether the broker is over its memory high-water mark: heap in use, or Netty's direct memory,
 * above a share of its maximum. Sampled by {@link #sample()} on the security scheduler (every 100
 * ms), read by event loops through {@link #isHigh()}: one volatile read per read batch.
 */
public final class MemoryGuard {
  private final int percent;
  private final LongSupplier heapUsed;
  private final long heapMax;
  private final LongSupplier directUsed;
  private final long directMax;
  private volatile boolean high;

  /** A guard over this JVM's heap and Netty's direct memory; 0 percent turns it off. */
  public static MemoryGuard forThisJvm(int percent) {
    MemoryMXBean bean = ManagementFactory.getMemoryMXBean();
    return new MemoryGuard(
        percent,
        () -> bean.getHeapMemoryUsage().getUsed(),
        Runtime.getRuntime().maxMemory(),
        PlatformDependent::usedDirectMemory,
        PlatformDependent.maxDirectMemory());
  }

  /**
   * A guard over the given gauges (used memory below 0 means "not tracked").
   *
   * @param percent the high-water mark in percent of the maxima; 0 turns the guard off
   */
  public MemoryGuard(
      int percent, LongSupplier heapUsed, long heapMax, LongSupplier directUsed, long directMax) {
    this.percent = percent;
    this.heapUsed = heapUsed;
    this.heapMax = heapMax;
    this.directUsed = directUsed;
    this.directMax = directMax;
  }

  /** Samples the gauges. Any single thread. */
  public void sample() {
    if (percent <= 0) {
      return;
    }
    high = over(heapUsed.getAsLong(), heapMax) || over(directUsed.getAsLong(), directMax);
  }

  private boolean over(long used, long max) {
    return used >= 0 && max > 0 && used * 100 >= max * percent;
  }

  /** Whether reading from sockets should pause. Any thread. */
  public boolean isHigh() {
    return high;
  }
}
