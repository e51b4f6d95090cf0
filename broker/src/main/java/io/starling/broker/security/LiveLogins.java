package io.starling.broker.security;

import io.starling.broker.logging.LogText;
import io.starling.broker.threading.AnyThread;
import io.starling.codec.ReasonCode;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections whose credentials can stop being valid while they are open, and how to end them:
 * users of a password file (ended with 0x87 not authorised when a reload no longer has them) and
 * clients let in with an expiring token (ended with 0xA0 maximum connect time at its expiry). The
 * transport registers each such connection once its login is accepted ({@link
 * ClientPolicy#onRevoked}) and releases it when the connection ends; connections without such
 * credentials are not kept here. Thread-safe: registered from event loops, checked from the
 * security scheduler.
 */
@AnyThread
final class LiveLogins {
  private static final Logger log = LoggerFactory.getLogger(LiveLogins.class);
  private static final Runnable NOTHING = () -> {};

  private final ScheduledExecutorService scheduler;
  private final Set<Watch> passwordFileUsers = ConcurrentHashMap.newKeySet();

  LiveLogins(ScheduledExecutorService scheduler) {
    this.scheduler = scheduler;
  }

  /** One open connection whose login may be taken back. */
  private final class Watch {
    private final ClientPolicy policy;
    private final Executor loop;
    private final Consumer<ReasonCode> end;
    private final AtomicBoolean over = new AtomicBoolean();
    private volatile ScheduledFuture<?> expiry;

    Watch(ClientPolicy policy, Executor loop, Consumer<ReasonCode> end) {
      this.policy = policy;
      this.loop = loop;
      this.end = end;
    }

    /** Ends the connection, once, on its event loop. */
    void revoke(ReasonCode reason, String why) {
      if (!over.compareAndSet(false, true)) {
        return;
      }
      release();
      log.info(
          "ending the connection of client {} user {}: {}",
          LogText.untrusted(policy.clientId()),
          LogText.untrusted(policy.username()),
          why);
      try {
        loop.execute(() -> end.accept(reason));
      } catch (RejectedExecutionException e) {
        // the event loop is shutting down, and the connection with it
      }
    }

    /** The connection ended: forget it. Any thread, any number of times. */
    void release() {
      over.set(true);
      passwordFileUsers.remove(this);
      ScheduledFuture<?> f = expiry;
      if (f != null) {
        f.cancel(false);
      }
    }
  }

  /**
   * Watches {@code policy}'s credentials while its connection is open; {@code end} runs on {@code
   * loop} if they stop being valid. Returns what to run when the connection ends.
   */
  Runnable watch(ClientPolicy policy, Executor loop, Consumer<ReasonCode> end) {
    FileAuthenticator file = policy.passwordFile();
    Instant expiresAt = policy.expiresAt();
    if (file == null && expiresAt == null) {
      return NOTHING;
    }
    Watch w = new Watch(policy, loop, end);
    if (file != null) {
      passwordFileUsers.add(w);
      if (!isStillKnown(w)) { // the file was reloaded between the check and now
        w.revoke(ReasonCode.NOT_AUTHORIZED, "no longer in the password file");
        return w::release;
      }
    }
    if (expiresAt != null) {
      long millis = Duration.between(Instant.now(), expiresAt).toMillis();
      if (millis <= 0) {
        w.revoke(ReasonCode.MAXIMUM_CONNECT_TIME, "its token expired");
      } else {
        w.expiry =
            scheduler.schedule(
                () -> w.revoke(ReasonCode.MAXIMUM_CONNECT_TIME, "its token expired"),
                millis,
                TimeUnit.MILLISECONDS);
      }
    }
    return w::release;
  }

  /** The password file was reloaded: ends the connections of users it no longer has. */
  void passwordsReloaded() {
    for (Watch w : passwordFileUsers) {
      if (!isStillKnown(w)) {
        w.revoke(ReasonCode.NOT_AUTHORIZED, "no longer in the password file");
      }
    }
  }

  private static boolean isStillKnown(Watch w) {
    return w.policy.passwordFile().passwords().entry(w.policy.username()) != null;
  }

  /** Connections watched for their password file user, for tests. */
  int size() {
    return passwordFileUsers.size();
  }
}
