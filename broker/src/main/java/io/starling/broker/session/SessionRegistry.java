package io.starling.broker.session;

import io.netty.channel.EventLoop;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.extension.Hooks;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.threading.AnyThread;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * All sessions by client identifier, at most {@code limits.max_sessions} of them for new clients.
 * Thread-safe: every method may be called from any thread.
 */
@AnyThread
public final class SessionRegistry {
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();

  /** How many sessions are registered; kept beside the map so the cap is one atomic step. */
  private final AtomicInteger count = new AtomicInteger();

  private final Limits limits;
  private final BrokerStats stats;
  private final StoredCopies store;
  private final Hooks hooks;
  private final ReadChecks readChecks;

  public SessionRegistry(Limits limits, BrokerStats stats) {
    this(limits, stats, null);
  }

  /** A registry whose sessions store their state through {@code store} (null: persistence off). */
  public SessionRegistry(Limits limits, BrokerStats stats, StoredCopies store) {
    this(limits, stats, store, Hooks.NONE);
  }

  /** A registry whose sessions also run the delivery hooks of {@code hooks}. */
  public SessionRegistry(Limits limits, BrokerStats stats, StoredCopies store, Hooks hooks) {
    this(limits, stats, store, hooks, ReadChecks.NONE);
  }

  /** A registry whose sessions' owners get their read checks from {@code readChecks}. */
  public SessionRegistry(
      Limits limits, BrokerStats stats, StoredCopies store, Hooks hooks, ReadChecks readChecks) {
    this.limits = limits;
    this.stats = stats;
    this.store = store;
    this.hooks = hooks;
    this.readChecks = readChecks;
  }

  /** The broker's hooks. */
  public Hooks hooks() {
    return hooks;
  }

  /**
   * The read check of {@code owner} for the session of {@code clientId}, usable on any thread, or
   * {@code null} when it may read everything.
   */
  public Predicate<String> readCheck(SessionOwner owner, String clientId) {
    return readChecks.of(owner, clientId);
  }

  /**
   * The session of {@code clientId}, created owned by {@code loop} if there is none, whatever the
   * number of sessions (sessions restored at start-up).
   */
  public Session getOrCreate(String clientId, EventLoop loop) {
    return sessions.computeIfAbsent(
        clientId,
        id -> {
          count.incrementAndGet();
          return newSession(id, loop);
        });
  }

  /**
   * The session of {@code clientId}, created owned by {@code loop} if there is none and fewer than
   * {@code limits.max_sessions} exist; {@code null} (counted) when one would be needed over it.
   */
  public Session getOrCreateWithinLimit(String clientId, EventLoop loop) {
    Session s =
        sessions.computeIfAbsent(
            clientId,
            id -> {
              // The check and the increment are one atomic step: CONNECTs on several loops at
              // once never take the count over the cap.
              int now;
              do {
                now = count.get();
                if (now >= limits.maxSessions()) {
                  return null;
                }
              } while (!count.compareAndSet(now, now + 1));
              return newSession(id, loop);
            });
    if (s == null) {
      stats.sessionsRefused.increment();
    }
    return s;
  }

  private Session newSession(String id, EventLoop loop) {
    return new Session(id, loop, limits, stats, store, hooks);
  }

  /** The session of {@code clientId}, or {@code null}. */
  public Session get(String clientId) {
    return sessions.get(clientId);
  }

  /** Removes {@code session} if it is still the one registered for its client identifier. */
  public void remove(Session session) {
    if (sessions.remove(session.clientId(), session)) {
      count.decrementAndGet();
    }
  }

  /** The sessions registered now. */
  public List<Session> snapshot() {
    return List.copyOf(sessions.values());
  }

  public int size() {
    return sessions.size();
  }
}
