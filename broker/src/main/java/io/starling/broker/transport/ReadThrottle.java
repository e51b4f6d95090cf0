package io.starling.broker.transport;

import io.netty.channel.Channel;
import io.starling.broker.routing.Backpressure;
import io.starling.broker.threading.EventLoopOnly;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Pauses reading from a client's socket, so TCP pushes back on it instead of the broker buffering:
 * for a client over its publish rate ({@link #pauseFor}, one instance per throttled connection,
 * made on first use), for a publisher whose subscribers are congested ({@link #pauseUntilDrained}),
 * and for everyone while memory is over the high-water mark ({@link #pauseWhileMemoryHigh}). Runs
 * on the channel's event loop.
 */
@EventLoopOnly
final class ReadThrottle {
  private static final long MEMORY_RECHECK_MILLIS = 100;

  private final Channel channel;
  private boolean throttled;
  private long pausedUntil;

  ReadThrottle(Channel channel) {
    this.channel = channel;
  }

  /**
   * Stops reading until the client is back within its rate, {@code aheadNanos} from now. Packets
   * already read in the same batch push the time further; one timer runs at a time and re-arms
   * until the latest time is reached, so an early timer cannot resume reading.
   */
  void pauseFor(long aheadNanos) {
    long until = System.nanoTime() + aheadNanos;
    if (until - pausedUntil > 0) {
      pausedUntil = until;
    }
    if (!throttled) {
      throttled = true;
      channel.config().setAutoRead(false);
      channel.eventLoop().schedule(this::resumeWhenDue, aheadNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void resumeWhenDue() {
    long left = pausedUntil - System.nanoTime();
    if (left > 0) {
      channel.eventLoop().schedule(this::resumeWhenDue, left, TimeUnit.NANOSECONDS);
      return;
    }
    throttled = false;
    channel.config().setAutoRead(true);
  }

  /**
   * Stops reading {@code channel} until {@code congested} drains, so that publishers slow down to
   * what subscribers take. A subscriber that takes nothing at all cannot hold its publishers for
   * more than a second: reading resumes then, and the queue's overflow policy applies.
   */
  static void pauseUntilDrained(Channel channel, Backpressure congested) {
    channel.config().setAutoRead(false);
    Runnable resume = () -> channel.config().setAutoRead(true);
    congested.whenDrained(() -> channel.eventLoop().execute(resume));
    channel.eventLoop().schedule(resume, 1, TimeUnit.SECONDS);
  }

  /** Stops reading {@code channel} until {@code memoryHigh} says false again. */
  static void pauseWhileMemoryHigh(Channel channel, BooleanSupplier memoryHigh) {
    channel.config().setAutoRead(false);
    channel
        .eventLoop()
        .schedule(
            () -> resumeWhenMemoryLow(channel, memoryHigh),
            MEMORY_RECHECK_MILLIS,
            TimeUnit.MILLISECONDS);
  }

  private static void resumeWhenMemoryLow(Channel channel, BooleanSupplier memoryHigh) {
    if (!channel.isActive()) {
      return;
    }
    if (memoryHigh.getAsBoolean()) {
      pauseWhileMemoryHigh(channel, memoryHigh);
    } else {
      channel.config().setAutoRead(true);
    }
  }
}
