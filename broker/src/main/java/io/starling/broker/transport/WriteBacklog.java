package io.starling.broker.transport;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import io.starling.broker.threading.EventLoopOnly;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a connection does about a client that does not take what it is sent. Netty marks the channel
 * unwritable once its outbound buffer is over the high-water mark (64 KiB, set on the listener's
 * child channels); from then on:
 *
 * <ul>
 *   <li>the client is not read ({@link ReadThrottle#pauseWhileUnwritable}) until the buffer drains
 *       below the low-water mark, so its own packets cannot add replies without bound: a PINGREQ
 *       must be answered [MQTT-3.12.4-1] and a QoS 1 PUBLISH acknowledged [MQTT-4.3.2-2], but not
 *       before the client takes what it was sent already;
 *   <li>if the buffer stays over the mark for {@code abuse.unwritable_timeout_seconds}, the
 *       connection is closed. A client with keep-alive 0 (no keep-alive check, MQTT 3.1.1 section
 *       3.1.2.10) is reaped this way too, when it neither reads nor sends;
 *   <li>while memory is over {@code abuse.memory_high_watermark_percent}, a connection that has
 *       been over its mark for {@link #SHED_AFTER_NANOS a second} is closed at once: those are the
 *       connections holding buffers, and closing them is how the broker gets memory back without
 *       waiting for everybody else's pause to do it.
 * </ul>
 *
 * Each close is counted ({@code $SYS/broker/security/abuse/closed/unwritable}) and logged at INFO,
 * at most one line per ten seconds for the whole broker. One instance per connection, made the
 * first time it becomes unwritable; runs on the channel's event loop only.
 */
@EventLoopOnly
final class WriteBacklog {
  private static final Logger log = LoggerFactory.getLogger(WriteBacklog.class);

  /** How long a connection must have been unwritable to be closed while memory is high. */
  static final long SHED_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** The longest wait between two checks of an unwritable connection. */
  private static final long CHECK_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

  private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  /**
   * When the next close may be logged, and how many were not since the last line: one rate limit
   * for every connection, since a flood of stuck clients must not become a flood of log lines.
   */
  private static final AtomicLong nextLogNanos = new AtomicLong(System.nanoTime());

  private static final AtomicLong notLogged = new AtomicLong();

  /** Why a connection was closed. */
  enum Reason {
    TIMEOUT("abuse.unwritable_timeout_seconds"),
    MEMORY_HIGH("memory over abuse.memory_high_watermark_percent");

    private final String what;

    Reason(String what) {
      this.what = what;
    }
  }

  private final ConnectionState state;
  private final Channel channel;
  private final Ticker ticker;

  /** {@code abuse.unwritable_timeout_seconds} in nanoseconds; 0 for never. */
  private final long timeoutNanos;

  private long unwritableSinceNanos;
  private ScheduledFuture<?> check;

  /** Whether the broker is over its memory high-water mark. */
  private final BooleanSupplier memoryHigh;

  WriteBacklog(ConnectionState state) {
    this(state, state.broker().security()::isMemoryHigh);
  }

  /**
   * @param memoryHigh whether memory is over the high-water mark, read on the event loop
   */
  WriteBacklog(ConnectionState state, BooleanSupplier memoryHigh) {
    this.state = state;
    this.channel = state.ctx().channel();
    this.ticker = state.ctx().executor().ticker();
    this.timeoutNanos =
        TimeUnit.SECONDS.toNanos(state.broker().config().abuse().unwritableTimeoutSeconds());
    this.memoryHigh = memoryHigh;
  }

  /** From {@code channelWritabilityChanged}: pauses or resumes reading, arms or stops the check. */
  void writabilityChanged() {
    if (channel.isWritable()) {
      cancel();
      state.throttle().resumeWritable();
    } else if (check == null && channel.isActive()) {
      unwritableSinceNanos = ticker.nanoTime();
      state.throttle().pauseWhileUnwritable();
      schedule(CHECK_EVERY_NANOS);
    }
  }

  /** Whether the channel is unwritable and being watched. */
  boolean isWatching() {
    return check != null;
  }

  /** Stops watching (the connection ended, or it is writable again). */
  void cancel() {
    if (check != null) {
      check.cancel(false);
      check = null;
    }
  }

  private void schedule(long delayNanos) {
    check = channel.eventLoop().schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
  }

  private void check() {
    check = null;
    if (!channel.isActive() || channel.isWritable()) {
      return; // closed, or writable again (writabilityChanged resumes reading)
    }
    long stuck = ticker.nanoTime() - unwritableSinceNanos;
    if (timeoutNanos > 0 && stuck >= timeoutNanos) {
      close(Reason.TIMEOUT, stuck);
    } else if (stuck >= SHED_AFTER_NANOS && memoryHigh.getAsBoolean()) {
      close(Reason.MEMORY_HIGH, stuck);
    } else {
      long next = CHECK_EVERY_NANOS;
      if (timeoutNanos > 0) {
        next = Math.min(next, timeoutNanos - stuck);
      }
      schedule(Math.max(1, next));
    }
  }

  /**
   * Closes the connection without a word: a DISCONNECT would only queue behind what the client does
   * not read. The will is published, as for any end but DISCONNECT [MQTT-3.1.2-8].
   */
  private void close(Reason reason, long unwritableNanos) {
    state.broker().stats().unwritableClosed.increment();
    logClosed(state.clientId(), channel.remoteAddress(), reason, unwritableNanos);
    state.closeNow();
  }

  /** Logs a close, unless another was logged less than ten seconds ago. Any thread. */
  private static void logClosed(
      String clientId, Object address, Reason reason, long unwritableNanos) {
    long now = System.nanoTime();
    long due = nextLogNanos.get();
    if (now - due < 0 || !nextLogNanos.compareAndSet(due, now + LOG_EVERY_NANOS)) {
      notLogged.incrementAndGet();
      return;
    }
    long others = notLogged.getAndSet(0);
    log.info(
        "client {} from {} closed: it did not read what it was sent for {} ms ({}){}",
        printable(clientId),
        address,
        TimeUnit.NANOSECONDS.toMillis(unwritableNanos),
        reason.what,
        others == 0 ? "" : "; " + others + " more closed so since the last such line");
  }

  /** A client id fit for one log line: control characters escaped, at most 64 characters. */
  private static String printable(String clientId) {
    if (clientId == null) {
      return "(none)";
    }
    int shown = Math.min(clientId.length(), 64);
    StringBuilder b = new StringBuilder(shown + 8);
    for (int i = 0; i < shown; i++) {
      char c = clientId.charAt(i);
      if (Character.isISOControl(c)) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return shown < clientId.length() ? b.append("...").toString() : b.toString();
  }
}
