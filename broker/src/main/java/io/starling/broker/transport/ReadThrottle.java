package io.starling.broker.transport;

import io.netty.channel.Channel;
import io.starling.broker.routing.Backpressure;
import io.starling.broker.threading.EventLoopOnly;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Pauses reading from a client's socket, so TCP pushes back on it instead of the broker buffering,
 * for any of several reasons at once: the client is over its publish rate ({@link #pauseFor}), its
 * publishes go to congested subscribers ({@link #pauseUntilDrained}), memory is over the high-water
 * mark ({@link #pauseWhileMemoryHigh}), or its own outbound buffer is over its high-water mark
 * ({@link #pauseWhileUnwritable}: what it sends would only add replies it does not take). Reading
 * resumes only when no reason is left, so that the end of one pause never lifts another.
 *
 * <p>This is the one owner of the channel's auto-read flag once a connection is logged in (the
 * login's own pause, in {@link ConnectFlow}, comes before any of these; {@link #reassert} repairs
 * the flag should anything else have set it). One instance per connection, made on first use; runs
 * on the channel's event loop.
 */
@EventLoopOnly
final class ReadThrottle {
  private static final long MEMORY_RECHECK_MILLIS = 100;

  private static final int RATE = 1;
  private static final int CONGESTED = 1 << 1;
  private static final int MEMORY_HIGH = 1 << 2;
  private static final int UNWRITABLE = 1 << 3;

  private final Channel channel;

  /** The reasons reading is paused for, as bits; 0 when it is not. */
  private int reasons;

  private long pausedUntil;

  /** Counts {@link #pauseUntilDrained} calls: only the latest one's wake-up resumes reading. */
  private long congestedPauses;

  ReadThrottle(Channel channel) {
    this.channel = channel;
  }

  /** Whether reading is paused for any reason. */
  boolean isPaused() {
    return reasons != 0;
  }

  /** Whether reading is paused because the connection's outbound buffer is full. */
  boolean isPausedWhileUnwritable() {
    return (reasons & UNWRITABLE) != 0;
  }

  private void pause(int reason) {
    reasons |= reason;
    channel.config().setAutoRead(false);
  }

  private void resume(int reason) {
    reasons &= ~reason;
    if (reasons == 0 && channel.isActive()) {
      channel.config().setAutoRead(true);
    }
  }

  /** Pauses reading again if it is paused for a reason but something turned auto-read back on. */
  void reassert() {
    if (reasons != 0 && channel.config().isAutoRead()) {
      channel.config().setAutoRead(false);
    }
  }

  /**
   * Stops reading until the client is back within its rate, {@code aheadNanos} from now. Packets
   * already read in the same batch push the time further; one timer runs at a time and re-arms
   * until the latest time is reached, so an early timer cannot resume reading. Time is the event
   * loop's {@code Ticker}, the clock its timers run by.
   */
  void pauseFor(long aheadNanos) {
    long until = channel.eventLoop().ticker().nanoTime() + aheadNanos;
    if (until - pausedUntil > 0) {
      pausedUntil = until;
    }
    if ((reasons & RATE) == 0) {
      pause(RATE);
      channel.eventLoop().schedule(this::resumeWhenDue, aheadNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void resumeWhenDue() {
    long left = pausedUntil - channel.eventLoop().ticker().nanoTime();
    if (left > 0) {
      channel.eventLoop().schedule(this::resumeWhenDue, left, TimeUnit.NANOSECONDS);
      return;
    }
    resume(RATE);
  }

  /**
   * Stops reading until {@code congested} drains, so that publishers slow down to what subscribers
   * take. There is no time limit: a connected subscriber holds its publishers for as long as it
   * makes progress, and one that makes none is disconnected by its session after {@code
   * limits.slow_subscriber_timeout_seconds}, which lets them go (bug fix: publishers used to be let
   * go after a second, so a full queue's overflow policy dropped messages the broker had
   * acknowledged). Once a second, reading resumes if {@code congested} says it is no longer
   * congested though no wake-up came (a safety net), or if {@code readAnyway} says so: the client's
   * own session is congested too, waiting for acknowledgements this pause keeps unread. Without
   * that, two clients each publishing to the other would hold each other until one's
   * slow-subscriber timeout (a request and response service under overload does exactly this).
   */
  void pauseUntilDrained(Backpressure congested, BooleanSupplier readAnyway) {
    pause(CONGESTED);
    long generation = ++congestedPauses;
    Runnable resume =
        () -> {
          if (generation == congestedPauses) {
            resume(CONGESTED);
          }
        };
    congested.whenDrained(() -> channel.eventLoop().execute(resume));
    recheckCongestion(congested, readAnyway, resume, generation);
  }

  private void recheckCongestion(
      Backpressure congested, BooleanSupplier readAnyway, Runnable resume, long generation) {
    channel
        .eventLoop()
        .schedule(
            () -> {
              if (generation != congestedPauses || (reasons & CONGESTED) == 0) {
                return; // resumed already, or a newer pause has its own check
              }
              if (channel.isActive() && congested.isCongested() && !readAnyway.getAsBoolean()) {
                recheckCongestion(congested, readAnyway, resume, generation);
              } else {
                resume.run();
              }
            },
            1,
            TimeUnit.SECONDS);
  }

  /** Stops reading until {@code memoryHigh} says false again (checked every 100 ms). */
  void pauseWhileMemoryHigh(BooleanSupplier memoryHigh) {
    if ((reasons & MEMORY_HIGH) != 0) {
      return; // a check is scheduled already
    }
    pause(MEMORY_HIGH);
    recheckMemory(memoryHigh);
  }

  private void recheckMemory(BooleanSupplier memoryHigh) {
    channel
        .eventLoop()
        .schedule(
            () -> {
              if (channel.isActive() && memoryHigh.getAsBoolean()) {
                recheckMemory(memoryHigh);
              } else {
                resume(MEMORY_HIGH);
              }
            },
            MEMORY_RECHECK_MILLIS,
            TimeUnit.MILLISECONDS);
  }

  /**
   * Stops reading while the channel's outbound buffer is over its high-water mark: the client does
   * not take what it is sent, and each packet it sends could add a reply (PINGRESP, PUBACK ...) to
   * that buffer. Lifted by {@link #resumeWritable}.
   */
  void pauseWhileUnwritable() {
    pause(UNWRITABLE);
  }

  /** The outbound buffer drained below its low-water mark: the client may be read again. */
  void resumeWritable() {
    resume(UNWRITABLE);
  }
}
