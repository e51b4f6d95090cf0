package io.starling.broker.session;

import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.packet.Will;
import java.util.concurrent.Future;

/**
 * A session's timers while it is offline: the will waiting for its delay [MQTT-3.1.3-9], and the
 * end of the session when its expiry interval passes. Both are scheduled on the session's owner
 * loop by {@link SessionLifecycle}; a connection that attaches cancels them.
 */
@EventLoopOnly
final class SessionTimers {
  /** Tells the store a delayed will is no longer waiting. */
  private final Runnable willDone;

  private Will pendingWill;
  private Future<?> willTimer;
  private Future<?> expiryTimer;

  SessionTimers(Runnable willDone) {
    this.willDone = willDone;
  }

  /** Keeps a will to publish when {@code timer} fires or the session ends; replaces any other. */
  void setPendingWill(Will will, Future<?> timer) {
    takePendingWill();
    pendingWill = will;
    willTimer = timer;
  }

  /** The will waiting for its delay, now no longer waiting (its timer cancelled), or null. */
  Will takePendingWill() {
    Will w = pendingWill;
    pendingWill = null;
    if (w != null) {
      willDone.run();
    }
    if (willTimer != null) {
      willTimer.cancel(false);
      willTimer = null;
    }
    return w;
  }

  /** Sets the timer that ends the session; replaces any other. */
  void setExpiryTimer(Future<?> timer) {
    cancelExpiry();
    expiryTimer = timer;
  }

  void cancelExpiry() {
    if (expiryTimer != null) {
      expiryTimer.cancel(false);
      expiryTimer = null;
    }
  }
}
