package io.starling.broker.transport;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import io.starling.broker.threading.EventLoopOnly;
import java.util.concurrent.TimeUnit;

/**
 * The one timer of a connection: before CONNECT (and during an enhanced-authentication exchange)
 * the time the client has to get in, after it the keep-alive check. One timer per connection,
 * rescheduled at most once per keep-alive period, instead of an idle-state handler: reading a
 * packet only notes the time.
 *
 * <p>Time is the executor's {@link Ticker}, the clock its scheduled tasks run by, so that a test on
 * an {@code EmbeddedChannel} with frozen time drives it exactly. One instance per connection; runs
 * on the connection's event loop only.
 */
@EventLoopOnly
final class KeepAlive {
  private final EventExecutor executor;
  private final Ticker ticker;
  private final Runnable check = this::check;

  private ScheduledFuture<?> timer;

  /** 1.5 times the keep-alive, in nanoseconds; 0 while no keep-alive runs. */
  private long keepAliveNanos;

  private long lastPacketNanos;
  private Runnable onExpiry;

  KeepAlive(EventExecutor executor) {
    this.executor = executor;
    this.ticker = executor.ticker();
  }

  /** Runs {@code onTimeout} in {@code seconds} unless {@link #cancel} comes first. */
  void armTimeout(long seconds, Runnable onTimeout) {
    cancel();
    timer =
        executor.schedule(
            () -> {
              timer = null;
              onTimeout.run();
            },
            seconds,
            TimeUnit.SECONDS);
  }

  /** Whether a timeout or a keep-alive check is pending. */
  boolean isArmed() {
    return timer != null;
  }

  /** Stops the pending timeout or keep-alive check, if any. */
  void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /**
   * Starts the keep-alive: {@code onExpiry} runs when no packet came within 1.5 times {@code
   * keepAliveSeconds} [MQTT-3.1.2-22]. Zero means no keep-alive: nothing is scheduled.
   */
  void start(int keepAliveSeconds, Runnable onExpiry) {
    cancel();
    if (keepAliveSeconds <= 0) {
      return;
    }
    this.onExpiry = onExpiry;
    keepAliveNanos = keepAliveSeconds * 1_500_000_000L;
    lastPacketNanos = ticker.nanoTime();
    timer = executor.schedule(check, keepAliveNanos, TimeUnit.NANOSECONDS);
  }

  /** A packet came from the client: the keep-alive period starts again. */
  void packetReceived() {
    if (keepAliveNanos > 0) {
      lastPacketNanos = ticker.nanoTime();
    }
  }

  /** Expires, or checks again when the period since the last packet would be up. */
  private void check() {
    long idle = ticker.nanoTime() - lastPacketNanos;
    if (idle >= keepAliveNanos) {
      timer = null;
      onExpiry.run();
    } else {
      timer = executor.schedule(check, keepAliveNanos - idle, TimeUnit.NANOSECONDS);
    }
  }
}
