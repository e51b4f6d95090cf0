package io.starling.broker.security.internal;

import io.starling.broker.config.AbuseLimits;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Per source address and per client id bookkeeping against connection abuse: connections open from
 * an address, its connection rate, its failed logins and the logins it has waiting for the
 * authentication threads, and client ids that reconnect too often (flapping, counted per user and
 * client id, for logins that succeeded only). Thread-safe; every entry is a small counter swept by
 * {@link #sweep()} once it has nothing to remember, so the maps hold only recently active addresses
 * and ids.
 */
public final class ConnectionGuard {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);

  private final AbuseLimits limits;
  private final LongSupplier clock;
  private final ConcurrentHashMap<InetAddress, Address> addresses = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Window> clientIds = new ConcurrentHashMap<>();

  /** What is known of one source address. Guarded by its own monitor. */
  private static final class Address {
    int open;

    /** Logins queued for, or running on, the authentication threads. */
    int pending;

    boolean swept;
    final Window connects = new Window();
    final Window failures = new Window();
  }

  /** A count within a fixed window, plus a "refused until" time. */
  private static final class Window {
    long start;
    int count;
    long blockedUntil;

    /** Counts one event; returns the count in the current window. */
    int add(long now, long length) {
      if (count == 0 || now - start >= length) {
        start = now;
        count = 0;
      }
      return ++count;
    }

    boolean isIdle(long now, long length) {
      return (count == 0 || now - start >= length) && now - blockedUntil >= 0;
    }
  }

  public ConnectionGuard(AbuseLimits limits, LongSupplier clock) {
    this.limits = limits;
    this.clock = clock;
  }

  /**
   * Counts a new connection from {@code address}; returns false if it is over the per-address
   * connection or connection-rate limit (then it was not counted, and must be closed).
   */
  public boolean admit(InetAddress address) {
    long now = clock.getAsLong();
    Address a = addresses.computeIfAbsent(address, k -> new Address());
    synchronized (a) {
      if (a.swept) {
        return admit(address); // removed by a sweep just now: count on the fresh entry
      }
      int max = limits.maxConnectionsPerAddress();
      if (max > 0 && a.open >= max) {
        return false;
      }
      int rate = limits.maxConnectionRatePerAddress();
      if (rate > 0 && a.connects.add(now, SECOND) > rate) {
        return false;
      }
      a.open++;
      return true;
    }
  }

  /** Counts the end of a connection that {@link #admit} let in. */
  public void closed(InetAddress address) {
    Address a = addresses.get(address);
    if (a != null) {
      synchronized (a) {
        a.open = Math.max(0, a.open - 1);
      }
    }
  }

  /** Whether logins from {@code address} are refused for now (too many failed ones). */
  public boolean isLoginBlocked(InetAddress address) {
    Address a = addresses.get(address);
    if (a == null) {
      return false;
    }
    synchronized (a) {
      return clock.getAsLong() - a.failures.blockedUntil < 0;
    }
  }

  /** What {@link #beginAttempt} decided. */
  public enum Attempt {
    /** Queue it; {@link #endAttempt} must follow. */
    QUEUED,
    /** The address is over its failed-login limit. */
    BLOCKED,
    /**
     * The address has as many logins waiting as it may, or as many as would take it to its
     * failed-login limit should they all fail: refuse this one as "server busy".
     */
    BUSY
  }

  /**
   * Counts a login from {@code address} that needs the authentication threads. It counts against
   * the failed-login limit at once, while it waits (failed logins plus logins waiting may not pass
   * the limit: a burst of wrong passwords is cut off at the limit before its hashes are done), and
   * against the address's share of the queue, {@code maxPending}.
   */
  public Attempt beginAttempt(InetAddress address, int maxPending) {
    long now = clock.getAsLong();
    Address a = addresses.computeIfAbsent(address, k -> new Address());
    synchronized (a) {
      if (a.swept) {
        return beginAttempt(address, maxPending);
      }
      if (now - a.failures.blockedUntil < 0) {
        return Attempt.BLOCKED;
      }
      int maxFailed = limits.maxFailedLoginsPerMinute();
      int failed = a.failures.count > 0 && now - a.failures.start < MINUTE ? a.failures.count : 0;
      if (a.pending >= maxPending || maxFailed > 0 && failed + a.pending >= maxFailed) {
        return Attempt.BUSY;
      }
      a.pending++;
      return Attempt.QUEUED;
    }
  }

  /** A login {@link #beginAttempt} queued is done (decided, timed out or dropped). */
  public void endAttempt(InetAddress address) {
    Address a = addresses.get(address);
    if (a != null) {
      synchronized (a) {
        a.pending = Math.max(0, a.pending - 1);
      }
    }
  }

  /** Counts a failed login; past the limit the address is refused for the rest of the minute. */
  public void loginFailed(InetAddress address) {
    int max = limits.maxFailedLoginsPerMinute();
    if (max == 0) {
      return;
    }
    long now = clock.getAsLong();
    Address a = addresses.computeIfAbsent(address, k -> new Address());
    synchronized (a) {
      if (a.swept) {
        loginFailed(address);
        return;
      }
      if (a.failures.add(now, MINUTE) >= max) {
        a.failures.blockedUntil = a.failures.start + MINUTE;
      }
    }
  }

  /**
   * Whether {@code user} (null: anonymous) with {@code clientId} is cooling off after flapping, in
   * which case its login must be refused. Asked only of logins that passed authentication, and per
   * user, so that nobody can lock another user's client id out.
   */
  public boolean isFlapping(String user, String clientId) {
    if (limits.flapConnects() == 0) {
      return false;
    }
    Window w = clientIds.get(flapKey(user, clientId));
    if (w == null) {
      return false;
    }
    synchronized (w) {
      return clock.getAsLong() - w.blockedUntil < 0;
    }
  }

  /**
   * Counts a connection of {@code user} with {@code clientId} that ended abnormally (socket error,
   * keep-alive expiry, protocol error, taken over: anything but the client's DISCONNECT); past
   * {@code abuse.flap_connects} of them in the window, the pair cools off. A clean connect and
   * DISCONNECT cycle, however often, never counts.
   */
  public void endedAbnormally(String user, String clientId) {
    int max = limits.flapConnects();
    if (max == 0) {
      return;
    }
    long now = clock.getAsLong();
    long window = TimeUnit.SECONDS.toNanos(limits.flapWindowSeconds());
    Window w = clientIds.computeIfAbsent(flapKey(user, clientId), k -> new Window());
    synchronized (w) {
      if (w.add(now, window) >= max) {
        w.blockedUntil = now + TimeUnit.SECONDS.toNanos(limits.flapCooloffSeconds());
        w.count = 0;
      }
    }
  }

  /** U+0000 is in no MQTT string [MQTT-1.5.4-2], so the key is unambiguous. */
  private static String flapKey(String user, String clientId) {
    return user == null ? clientId : user + '\u0000' + clientId;
  }

  /** Forgets addresses and ids with nothing left to remember. Any single thread. */
  public void sweep() {
    long now = clock.getAsLong();
    long window = TimeUnit.SECONDS.toNanos(limits.flapWindowSeconds());
    addresses
        .entrySet()
        .removeIf(
            e -> {
              Address a = e.getValue();
              synchronized (a) {
                a.swept =
                    a.open == 0
                        && a.pending == 0
                        && a.connects.isIdle(now, SECOND)
                        && a.failures.isIdle(now, MINUTE);
                return a.swept;
              }
            });
    clientIds
        .entrySet()
        .removeIf(
            e -> {
              synchronized (e.getValue()) {
                return e.getValue().isIdle(now, window);
              }
            });
  }

  /** Addresses and client ids remembered now, for tests and statistics. */
  public int size() {
    return addresses.size() + clientIds.size();
  }
}
