package io.starling.broker.session;

import io.netty.channel.EventLoop;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.config.Protocol;
import io.starling.broker.extension.Hooks;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.Message;
import io.starling.broker.model.SubOptions;
import io.starling.broker.routing.Backpressure;
import io.starling.broker.routing.Delivery;
import io.starling.broker.routing.SharedGroup;
import io.starling.broker.routing.Subscriber;
import io.starling.broker.threading.AnyThread;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.packet.Will;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/**
 * The state the broker keeps for one client identifier: subscriptions, outbound messages queued
 * ({@link OutboundQueue}) and in flight ({@link InflightWindow}), the packet identifiers of inbound
 * QoS 2 messages not yet released, and the offline timers ({@link SessionTimers}).
 *
 * <p>Threading: a session has one owner at a time, the event loop of its connection (or of its last
 * connection while offline). Methods marked {@link AnyThread} may be called from anywhere; every
 * other method runs on the owner. {@link #execute} gets a task there from any thread, following the
 * session if it moves. Ownership moves only inside a task run on the current owner ({@link
 * #moveTo}).
 *
 * <p>Storage: what the session records in the store, the messages kept on disk while it is offline
 * and their read-back on attach are in its {@link SessionStorage}; sending, acknowledgements,
 * expiry and shared messages are here.
 *
 * <p>Owner: the session remembers the {@link SessionOwner} that took it last ({@link #own}), stored
 * with it, and that identity's read check, which every message for the session passes: in the
 * router before a copy is stored ({@link #mayReceive}), and again before it is sent, whether it was
 * queued, kept on disk, in flight, or restored after a restart. The check holds while the session
 * is offline, so nothing its owner may not read is queued for it.
 */
public final class Session implements Subscriber, Backpressure {
  private final String clientId;
  private final Limits limits;
  private final BrokerStats stats;
  private final Hooks hooks;

  /** The durable side of this session (inert when persistence is off). */
  private final SessionStorage storage;

  private final OutboundFlow flow;

  /** Made when the session first goes offline with a timer to run: connected ones have none. */
  private SessionTimers timers;

  private volatile EventLoop owner;

  /** Whether a connection is attached; read by shared subscriptions choosing a member. */
  private volatile boolean online;

  /** Set once, when the session ends; read by shared subscriptions and by takeovers. */
  private volatile boolean destroyed;

  // Owner-confined state.
  private boolean persistent;
  private boolean everAttached;
  private int generation;

  /**
   * The read check of the owner, from any thread; null when it may receive everything (no ACL and
   * no token grants).
   */
  private volatile Predicate<String> readCheck;

  /**
   * Who owns the session: the identity of the client that took it last, or null while nobody has (a
   * new session, or one restored from a store written before sessions had owners).
   */
  private SessionOwner sessionOwner;

  /** Created on first use: most sessions of an idle fleet never need them. */
  private Map<String, SubOptions> subscriptions;

  /** UTF-8 bytes of the filters in {@link #subscriptions}, kept by {@link Subscriptions}. */
  private long subscriptionBytes;

  private Set<Integer> inboundQos2;

  /** A session without persistence or hooks (tests, benchmarks). */
  public Session(String clientId, EventLoop owner, Limits limits, BrokerStats stats) {
    this(clientId, owner, limits, stats, null, Hooks.NONE);
  }

  /**
   * A session whose state goes to the store of {@code copies} (null: persistence off) while it is
   * persistent, and whose deliveries pass the delivery hooks of {@code hooks}.
   */
  public Session(
      String clientId,
      EventLoop owner,
      Limits limits,
      BrokerStats stats,
      StoredCopies copies,
      Hooks hooks) {
    this.clientId = clientId;
    this.hooks = hooks;
    this.owner = owner;
    this.limits = limits;
    this.stats = stats;
    this.storage = new SessionStorage(this, clientId, limits, stats, copies);
    this.flow = new OutboundFlow(limits, stats, storage, this);
  }

  // ---- identity and ownership -----------------------------------------------------------------

  @AnyThread
  @Override
  public String clientId() {
    return clientId;
  }

  @AnyThread
  @Override
  public EventLoop owner() {
    return owner;
  }

  @AnyThread
  @Override
  public void execute(Runnable task) {
    EventLoop loop = owner;
    if (loop.inEventLoop()) {
      task.run();
      return;
    }
    loop.execute(
        () -> {
          if (owner == loop) {
            task.run();
          } else {
            execute(task);
          }
        });
  }

  /** Hands the session to another event loop. Call on the owner, as its last act on the session. */
  @EventLoopOnly
  public void moveTo(EventLoop loop) {
    assert owner.inEventLoop();
    owner = loop;
  }

  @AnyThread
  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  @AnyThread
  @Override
  public boolean isOnline() {
    return online;
  }

  @EventLoopOnly
  public boolean isConnected() {
    return flow.connection() != null;
  }

  @EventLoopOnly
  public SessionConnection connection() {
    return flow.connection();
  }

  /** Whether a CONNECT with clean session 0 would find state here (the session-present flag). */
  @EventLoopOnly
  public boolean hasState() {
    return everAttached && persistent;
  }

  /** How many times a connection was attached: tells a timer set while offline if it is stale. */
  @EventLoopOnly
  public int generation() {
    return generation;
  }

  /**
   * Makes {@code who} the owner, with its read check ({@code null}: it may read everything), which
   * every message for the session passes from now on. When a client takes the session over; stored
   * with the session's record when it is next written.
   */
  @EventLoopOnly
  public void own(SessionOwner who, Predicate<String> check) {
    this.sessionOwner = who;
    this.readCheck = check;
  }

  /** The owner, or {@code null} while nobody has taken the session (see {@link #own}). */
  @EventLoopOnly
  public SessionOwner sessionOwner() {
    return sessionOwner;
  }

  @AnyThread
  @Override
  public boolean mayReceive(String topic) {
    Predicate<String> check = readCheck;
    return check == null || check.test(topic);
  }

  /**
   * The session's subscriptions, filter (with its {@code $share/{name}/} prefix for shared ones) to
   * options; the caller may change them.
   */
  @EventLoopOnly
  public Map<String, SubOptions> subscriptions() {
    if (subscriptions == null) {
      subscriptions = new HashMap<>(4);
    }
    return subscriptions;
  }

  /** UTF-8 bytes of the session's topic filters ({@code limits.max_subscription_bytes}). */
  @EventLoopOnly
  long subscriptionBytes() {
    return subscriptionBytes;
  }

  @EventLoopOnly
  void addSubscriptionBytes(long delta) {
    subscriptionBytes += delta;
  }

  /** Whether the session has any subscription (without creating the map). */
  @EventLoopOnly
  public boolean hasSubscriptions() {
    return subscriptions != null && !subscriptions.isEmpty();
  }

  /** Packet ids of inbound QoS 2 messages received and not yet released by PUBREL. */
  @EventLoopOnly
  public Set<Integer> inboundQos2() {
    if (inboundQos2 == null) {
      inboundQos2 = new HashSet<>(4);
    }
    return inboundQos2;
  }

  /** Whether any message is in flight or queued (for tests and $SYS). */
  @EventLoopOnly
  public int pendingCount() {
    return flow.pendingCount();
  }

  // ---- connection ---------------------------------------------------------------------------

  /** Attaches a connection, persistent or ending with it; see the other {@code attach}. */
  @EventLoopOnly
  public void attach(SessionConnection conn, boolean persistent) {
    attach(conn, persistent ? Protocol.NEVER_EXPIRES : 0);
  }

  /**
   * Attaches a connection whose session expiry interval is {@code expirySeconds} (0: the session
   * ends with the connection): resends in-flight messages in their original order with DUP set (and
   * PUBREL for those already received) [MQTT-4.4.0-1], then sends what was queued. With persistence
   * on, a persistent session's record is stored, and messages kept on disk while it was offline are
   * read back and sent after what is in memory.
   */
  @EventLoopOnly
  public void attach(SessionConnection conn, long expirySeconds) {
    boolean persistent = expirySeconds > 0;
    storage.attach(expirySeconds);
    this.online = true;
    generation++;
    if (timers != null) {
      timers.cancelExpiry();
    }
    if (this.persistent != persistent) {
      stats.persistentSessions.addAndGet(persistent ? 1 : -1);
    }
    this.persistent = persistent;
    this.everAttached = true;
    flow.attach(conn);
  }

  /** Detaches the connection; the session stays for a later CONNECT unless it is not persistent. */
  @EventLoopOnly
  public void detach() {
    storage.detach();
    online = false;
    // Publishers no longer wait for this session; its queue keeps the overflow policy offline.
    flow.detach();
  }

  /** Drops all state: subscriptions (the caller removes them from the index), queue, in-flight. */
  @EventLoopOnly
  public void destroy() {
    destroyed = true;
    online = false;
    flow.detach();
    if (timers != null) {
      timers.cancelExpiry();
    }
    if (persistent) {
      stats.persistentSessions.decrementAndGet();
      persistent = false;
    }
    clearMessages();
    if (subscriptions != null) {
      stats.subscriptions.addAndGet(-subscriptions.size());
      subscriptions = null;
      subscriptionBytes = 0;
    }
    storage.destroy();
  }

  /** Forgets messages and inbound QoS 2 state, as a clean session does. */
  @EventLoopOnly
  public void clearMessages() {
    flow.clear();
    inboundQos2 = null;
    storage.clearMessages();
  }

  // ---- delivery -----------------------------------------------------------------------------

  @AnyThread
  @Override
  public boolean isCongested() {
    return flow.queue().isCongested();
  }

  /** This session, whose {@link #whenDrained} waits on its queue. */
  @AnyThread
  @Override
  public Backpressure backpressure() {
    return this;
  }

  @AnyThread
  @Override
  public void whenDrained(Runnable resume) {
    flow.queue().whenDrained(resume);
  }

  @EventLoopOnly
  @Override
  public boolean markForFlush() {
    return flow.markForFlush();
  }

  @EventLoopOnly
  @Override
  public void flush() {
    flow.flush();
  }

  /**
   * Delivers a message at the delivery's QoS (already min(publish QoS, granted QoS)), unless the
   * session ended or the client may not read the topic. Takes no ownership of the payload.
   */
  @EventLoopOnly
  @Override
  public void deliver(Delivery d) {
    if (destroyed) {
      storage.forget(d.seq());
      return;
    }
    if (!mayReceive(d.message().topic())) {
      // The ACL withholds this topic from the owner (it changed, or the owner did, since the
      // message was routed; or a retained message): any copy stored for it goes too.
      stats.deliveriesDenied.increment();
      storage.forget(d.seq());
      return;
    }
    if (hooks.hasDelivery()) { // the plug point for each outbound delivery
      Message m = hooks.delivery(clientId, d.message(), d.qos());
      if (m == null) {
        storage.forget(d.seq());
        return;
      }
      if (m != d.message()) {
        d = new Delivery(this, m, d.qos(), d.retain(), d.subscriptionIds(), d.group(), d.seq());
      }
    }
    flow.deliver(d, persistent);
  }

  /** Sends queued messages while the in-flight window and the socket allow. */
  @EventLoopOnly
  public void drainQueue() {
    flow.drainQueue();
  }

  /** PUBACK for a QoS 1 message: it is done. Returns false for an unknown identifier. */
  @EventLoopOnly
  public boolean onPubAck(int packetId) {
    return flow.onPubAck(packetId);
  }

  /**
   * PUBREC for a QoS 2 message: PUBREL follows; a refusal (5.0 reason code 0x80 or more) ends it
   * [MQTT-4.3.3-4]. Returns false for an unknown identifier.
   */
  @EventLoopOnly
  public boolean onPubRec(int packetId, boolean accepted) {
    return flow.onPubRec(packetId, accepted);
  }

  /** PUBCOMP: the QoS 2 message is done. Returns false for an unknown identifier. */
  @EventLoopOnly
  public boolean onPubComp(int packetId) {
    return flow.onPubComp(packetId);
  }

  /**
   * Takes out the messages of shared subscriptions another member of the group may get instead; see
   * {@link OutboundFlow#takeShared}.
   */
  @EventLoopOnly
  public void takeShared(BiPredicate<SharedGroup, Message> sink) {
    flow.takeShared(sink);
  }

  // ---- what SessionStorage and SessionLifecycle reach ----------------------------------------

  /** The durable side of this session. */
  SessionStorage storage() {
    return storage;
  }

  /** What this session sends (its queue and in-flight window), for {@link SessionStorage}. */
  OutboundFlow flow() {
    return flow;
  }

  /**
   * Restores a persistent session found in the store at start-up, before any connection: {@code
   * onDisk} messages wait on disk for it; {@code who} (null if the record had none) owns it, and
   * what is routed to it from now on passes {@code check}. Call on the owner, or before the owner
   * runs anything.
   */
  void restore(int onDisk, SessionOwner who, Predicate<String> check) {
    own(who, check);
    persistent = true;
    everAttached = true;
    stats.persistentSessions.incrementAndGet();
    storage.restore(onDisk);
  }

  // ---- records of the store and the offline timers -------------------------------------------

  /** Records an inbound QoS 2 packet id received ({@code added}) or released. */
  @EventLoopOnly
  public void recordInbound(int packetId, boolean added) {
    storage.recordInbound(packetId, added);
  }

  /** The will waiting for its delay, now no longer waiting (its timer cancelled), or null. */
  Will takePendingWill() {
    return timers == null ? null : timers.takePendingWill();
  }

  /** The offline timers: the delayed will and the session's expiry; made on first use. */
  SessionTimers timers() {
    if (timers == null) {
      timers = new SessionTimers(storage::recordWillDone);
    }
    return timers;
  }
}
