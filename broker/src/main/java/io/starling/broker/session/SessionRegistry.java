package io.starling.broker.session;

import io.netty.channel.EventLoop;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.extension.Hooks;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.threading.AnyThread;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** All sessions by client identifier. Thread-safe: every method may be called from any thread. */
@AnyThread
public final class SessionRegistry {
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final Limits limits;
  private final BrokerStats stats;
  private final StoredCopies store;
  private final Hooks hooks;

  public SessionRegistry(Limits limits, BrokerStats stats) {
    this(limits, stats, null);
  }

  /** A registry whose sessions store their state through {@code store} (null: persistence off). */
  public SessionRegistry(Limits limits, BrokerStats stats, StoredCopies store) {
    this(limits, stats, store, Hooks.NONE);
  }

  /** A registry whose sessions also run the delivery hooks of {@code hooks}. */
  public SessionRegistry(Limits limits, BrokerStats stats, StoredCopies store, Hooks hooks) {
    this.limits = limits;
    this.stats = stats;
    this.store = store;
    this.hooks = hooks;
  }

  /** The broker's hooks. */
  public Hooks hooks() {
    return hooks;
  }

  /** The session of {@code clientId}, created owned by {@code loop} if there is none. */
  public Session getOrCreate(String clientId, EventLoop loop) {
    return sessions.computeIfAbsent(
        clientId, id -> new Session(id, loop, limits, stats, store, hooks));
  }

  /** The session of {@code clientId}, or {@code null}. */
  public Session get(String clientId) {
    return sessions.get(clientId);
  }

  /** Removes {@code session} if it is still the one registered for its client identifier. */
  public void remove(Session session) {
    sessions.remove(session.clientId(), session);
  }

  /** The sessions registered now. */
  public List<Session> snapshot() {
    return List.copyOf(sessions.values());
  }

  public int size() {
    return sessions.size();
  }
}
