package io.starling.broker.transport;

import io.starling.broker.threading.EventLoopOnly;
import java.util.concurrent.TimeUnit;

/**
 * The one timer of a connection: before CONNECT (and during an enhanced-authentication exchange)
 * the time the client has to get in, after it the keep-alive check. It is an entry on its event
 * loop's {@link TimerWheel}, shared by every connection of the loop, rather than a scheduled task
 * of its own; it fires at most a {@link TimerWheel#TICK_NANOS tick} after it is due, never before.
 * Reading a packet only notes the time: the check, when due, looks at the time of the last packet
 * and goes back on the wheel if one came since, so the timer moves at most once per keep-alive
 * period.
 *
 * <p>One instance per connection; runs on the connection's event loop only.
 */
@EventLoopOnly
final class KeepAlive extends TimerWheel.Entry {
  private final TimerWheel wheel;

  /** 1.5 times the keep-alive, in nanoseconds; 0 while no keep-alive runs. */
  private long keepAliveNanos;

  private long lastPacketNanos;

  /** What runs when the timer is due: the connect timeout's action, or the keep-alive's expiry. */
  private Runnable onDue;

  KeepAlive(TimerWheel wheel) {
    this.wheel = wheel;
  }

  /** Runs {@code onTimeout} in {@code seconds} unless {@link #cancel} comes first. */
  void armTimeout(long seconds, Runnable onTimeout) {
    keepAliveNanos = 0;
    onDue = onTimeout;
    wheel.schedule(this, TimeUnit.SECONDS.toNanos(seconds));
  }

  /** Whether a timeout or a keep-alive check is pending. */
  boolean isArmed() {
    return isScheduled();
  }

  /** Stops the pending timeout or keep-alive check, if any. */
  void cancel() {
    wheel.cancel(this);
    onDue = null;
  }

  /**
   * Starts the keep-alive: {@code onExpiry} runs when no packet came within 1.5 times {@code
   * keepAliveSeconds} [MQTT-3.1.2-24] (5.0: [MQTT-3.1.2-22]). Zero means no keep-alive: nothing is
   * set.
   */
  void start(int keepAliveSeconds, Runnable onExpiry) {
    cancel();
    if (keepAliveSeconds <= 0) {
      keepAliveNanos = 0;
      return;
    }
    onDue = onExpiry;
    keepAliveNanos = keepAliveSeconds * 1_500_000_000L;
    lastPacketNanos = wheel.nanoTime();
    wheel.schedule(this, keepAliveNanos);
  }

  /** A packet came from the client: the keep-alive period starts again. */
  void packetReceived() {
    if (keepAliveNanos > 0) {
      lastPacketNanos = wheel.nanoTime();
    }
  }

  /** Times out or expires, or checks again when the period since the last packet would be up. */
  @Override
  void onDue() {
    Runnable action = onDue;
    if (keepAliveNanos > 0) {
      long idle = wheel.nanoTime() - lastPacketNanos;
      if (idle < keepAliveNanos) {
        wheel.schedule(this, keepAliveNanos - idle);
        return;
      }
    }
    onDue = null;
    if (action != null) {
      action.run();
    }
  }
}
