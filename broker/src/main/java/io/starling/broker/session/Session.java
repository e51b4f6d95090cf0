package io.starling.broker.session;

import io.netty.channel.EventLoop;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.config.BrokerConfig.QueueOverflow;
import io.starling.broker.config.Protocol;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.Message;
import io.starling.broker.model.SubOptions;
import io.starling.broker.routing.Backpressure;
import io.starling.broker.routing.Delivery;
import io.starling.broker.routing.SharedGroup;
import io.starling.broker.routing.Subscriber;
import io.starling.codec.QoS;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.Will;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/**
 * The state the broker keeps for one client identifier: subscriptions, outbound messages queued and
 * in flight, and the packet identifiers of inbound QoS 2 messages not yet released.
 *
 * <p>Threading: a session has one owner at a time, the event loop of its connection (or of its last
 * connection while offline). Every method but {@link #execute} runs on the owner; {@link #execute}
 * gets a task there from any thread, following the session if it moves. Ownership moves only inside
 * a task run on the current owner ({@link #moveTo}).
 *
 * <p>Storage: what the session records in the store, the messages kept on disk while it is offline
 * and their read-back on attach are in its {@link SessionStorage}; this class keeps the delivery
 * logic (queue, in-flight window, acknowledgements, expiry, shared messages, wills and timers).
 */
public final class Session implements Subscriber, Backpressure {
  /** Read permissions of the attached client; null when it may receive everything. */
  private Predicate<String> readFilter;

  private final String clientId;
  private final Limits limits;
  private final BrokerStats stats;

  /** The durable side of this session (inert when persistence is off). */
  private final SessionStorage storage;

  private volatile EventLoop owner;

  // Owner-confined state.
  private boolean persistent;
  private boolean everAttached;
  private int generation;
  private SessionConnection connection;
  // Created on first use: most sessions of an idle fleet never need some of them.
  private Map<String, SubOptions> subscriptions;
  private LinkedHashMap<Integer, OutboundMessage> inflight;
  private ArrayDeque<OutboundMessage> queue;
  private Set<Integer> inboundQos2;
  private int nextPacketId = 1;
  private boolean flushPending;
  private boolean flushScheduled;

  /**
   * In-flight messages waiting to be resent on this connection ({@link OutboundMessage#unsent}).
   */
  private int unsent;

  /** Set while a connected session's queue is over its high-water mark; read by publishers. */
  private volatile boolean congested;

  /** Whether a connection is attached; read by shared subscriptions choosing a member. */
  private volatile boolean online;

  /** Set once, when the session ends; read by shared subscriptions and by takeovers. */
  private volatile boolean destroyed;

  /** A will waiting for its delay to pass [MQTT-3.1.3-9], and its timer. */
  private Will pendingWill;

  private Future<?> willTimer;
  private Future<?> expiryTimer;

  private final Queue<Runnable> waiters = new ConcurrentLinkedQueue<>();

  public Session(String clientId, EventLoop owner, Limits limits, BrokerStats stats) {
    this(clientId, owner, limits, stats, null);
  }

  /**
   * A session whose state goes to the store of {@code copies} while it is persistent.
   *
   * @param copies routing's view of the store, or {@code null} when persistence is off
   */
  public Session(
      String clientId, EventLoop owner, Limits limits, BrokerStats stats, StoredCopies copies) {
    this.clientId = clientId;
    this.owner = owner;
    this.limits = limits;
    this.stats = stats;
    this.storage = new SessionStorage(this, clientId, limits, stats, copies);
  }

  /**
   * Sets the check each delivery must pass (the client's read permissions), or {@code null} for
   * none. On the owner loop, when a connection attaches.
   */
  public void readFilter(Predicate<String> filter) {
    this.readFilter = filter;
  }

  @Override
  public String clientId() {
    return clientId;
  }

  /** The event loop that owns this session now. Any thread. */
  @Override
  public EventLoop owner() {
    return owner;
  }

  /** Runs {@code task} on the owner, following the session if ownership moves meanwhile. */
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
  public void moveTo(EventLoop loop) {
    owner = loop;
  }

  /** Whether the session ended. Any thread. */
  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  public boolean isConnected() {
    return connection != null;
  }

  public SessionConnection connection() {
    return connection;
  }

  /** Whether a CONNECT with clean session 0 would find state here (the session-present flag). */
  public boolean hasState() {
    return everAttached && persistent;
  }

  /**
   * The session's subscriptions, filter (with its {@code $share/{name}/} prefix for shared ones) to
   * options; the caller may change them.
   */
  public Map<String, SubOptions> subscriptions() {
    if (subscriptions == null) {
      subscriptions = new HashMap<>(4);
    }
    return subscriptions;
  }

  /** Whether the session has any subscription (without creating the map). */
  public boolean hasSubscriptions() {
    return subscriptions != null && !subscriptions.isEmpty();
  }

  /** Packet ids of inbound QoS 2 messages received and not yet released by PUBREL. */
  public Set<Integer> inboundQos2() {
    if (inboundQos2 == null) {
      inboundQos2 = new HashSet<>(4);
    }
    return inboundQos2;
  }

  /**
   * Attaches a connection: resends in-flight messages in their original order with DUP set (and
   * PUBREL for those already received) [MQTT-4.4.0-1], then sends what was queued.
   */
  public void attach(SessionConnection conn, boolean persistent) {
    attach(conn, persistent ? Protocol.NEVER_EXPIRES : 0);
  }

  /**
   * Attaches a connection whose session expiry interval is {@code expirySeconds} (0: the session
   * ends with the connection). With persistence on, a persistent session's record is stored, and
   * messages kept on disk while it was offline are read back and sent after what is in memory.
   */
  public void attach(SessionConnection conn, long expirySeconds) {
    boolean persistent = expirySeconds > 0;
    storage.attach(expirySeconds);
    this.connection = conn;
    this.online = true;
    generation++;
    cancelExpiry();
    if (this.persistent != persistent) {
      stats.persistentSessions.addAndGet(persistent ? 1 : -1);
    }
    this.persistent = persistent;
    this.everAttached = true;
    // Unacknowledged messages are resent with their packet identifiers [MQTT-4.4.0-1], but no
    // more PUBLISH packets than the new connection's window allows [MQTT-3.3.4-9]: the rest are
    // resent as acknowledgements free the window (bug fix: all of them used to go at once).
    int window = Math.min(limits.maxInflightMessages(), conn.receiveMaximum());
    int sent = 0;
    unsent = 0;
    Iterator<OutboundMessage> it =
        inflight == null ? Collections.emptyIterator() : inflight.values().iterator();
    while (it.hasNext()) {
      OutboundMessage m = it.next();
      m.unsent = false;
      // A message whose in-flight record was still on its way to the store was never sent.
      boolean neverSent = m.pendingWrite != null;
      if (neverSent) {
        m.pendingWrite.release();
        m.pendingWrite = null;
      }
      if (m.released) {
        conn.write(PubRel.of(m.packetId));
        sent++;
      } else if (sent < window) {
        if (resend(m, !neverSent)) {
          sent++;
        } else {
          it.remove();
        }
      } else {
        m.unsent = true;
        unsent++;
      }
    }
    drainQueue();
    conn.flush();
  }

  /**
   * Notes that this session has writes to flush at the end of a delivery batch; returns true the
   * first time, so that each session is flushed once per batch.
   */
  @Override
  public boolean markForFlush() {
    if (connection == null || flushPending) {
      return false;
    }
    flushPending = true;
    return true;
  }

  /** Flushes the connection's writes, if attached. */
  @Override
  public void flush() {
    flushPending = false;
    if (connection != null) {
      connection.flush();
    }
  }

  /** Detaches the connection; the session stays for a later CONNECT unless it is not persistent. */
  public void detach() {
    connection = null;
    storage.detach();
    online = false;
    flushPending = false;
    // Nobody is reading now: publishers must not wait for this session (its queue keeps the
    // overflow policy while it is offline).
    relieve();
  }

  /** Drops all state: subscriptions (the caller removes them from the index), queue, in-flight. */
  public void destroy() {
    destroyed = true;
    connection = null;
    online = false;
    cancelExpiry();
    if (persistent) {
      stats.persistentSessions.decrementAndGet();
      persistent = false;
    }
    clearMessages();
    if (subscriptions != null) {
      stats.subscriptions.addAndGet(-subscriptions.size());
      subscriptions = null;
    }
    storage.destroy();
  }

  /** Forgets messages and inbound QoS 2 state, as a clean session does. */
  public void clearMessages() {
    if (inflight != null) {
      for (OutboundMessage m : inflight.values()) {
        m.release();
      }
      inflight = null;
      unsent = 0;
    }
    if (queue != null) {
      stats.queuedMessages.addAndGet(-queue.size());
      for (OutboundMessage m : queue) {
        m.release();
      }
      queue = null;
    }
    inboundQos2 = null;
    storage.clearMessages();
    relieve();
  }

  /**
   * Delivers a message at {@code qos} (already min(publish QoS, granted QoS)). Takes no ownership
   * of the payload: retains it if it keeps it.
   *
   * @param retain the RETAIN flag of this delivery
   * @param subscriptionIds the identifiers of the matched subscriptions, or {@code null}
   * @param group the shared subscription it came through, or {@code null}
   */
  public void deliver(
      Message message, QoS qos, boolean retain, int[] subscriptionIds, SharedGroup group) {
    deliver(message, qos, retain, subscriptionIds, group, 0);
  }

  /**
   * Delivers a message of which a copy was stored for this session with sequence number {@code seq}
   * ({@link StoredCopies}), or 0 if none was. While the session is offline a stored copy stays on
   * disk only.
   */
  public void deliver(
      Message message,
      QoS qos,
      boolean retain,
      int[] subscriptionIds,
      SharedGroup group,
      long seq) {
    if (destroyed) {
      forget(seq);
      return;
    }
    if (readFilter != null && !readFilter.test(message.topic())) {
      stats.deliveriesDenied.increment(); // the ACL withholds this topic from this client
      return;
    }
    if (qos == QoS.AT_MOST_ONCE) {
      if (connection != null && connection.isWritable()) {
        message.payload().retain();
        send(new OutboundMessage(message, qos, retain, subscriptionIds, group));
      } else if (connection == null && persistent && limits.queueQos0WhileOffline()) {
        message.payload().retain();
        enqueue(new OutboundMessage(message, qos, retain, subscriptionIds, group));
      } else {
        stats.qos0Dropped.increment();
      }
      return;
    }
    if (connection == null && !persistent) {
      forget(seq);
      return;
    }
    seq = storage.accept(seq);
    if (seq != 0 && connection == null) {
      storage.keepOnDisk(seq);
      return;
    }
    if (storage.wasReadBack(seq)) {
      return; // read back from disk already: this is the same copy arriving late
    }
    message.payload().retain();
    OutboundMessage m = new OutboundMessage(message, qos, retain, subscriptionIds, group);
    m.seq = seq;
    if (connection != null && queueSize() == 0 && !storage.isLoading() && canSend()) {
      send(m);
    } else {
      enqueue(m);
    }
  }

  private boolean canSend() {
    int window = Math.min(limits.maxInflightMessages(), connection.receiveMaximum());
    return inflightSize() - unsent < window && connection.isWritable();
  }

  /**
   * Writes a message, or drops it if it expired while queued [MQTT-3.3.2-5] or is too large for the
   * client [MQTT-3.1.2-25]; both are counted.
   */
  private void send(OutboundMessage m) {
    long now = System.nanoTime();
    if (m.message.isExpired(now)) {
      stats.expiredDropped.increment();
      forget(m.seq);
      m.release();
      return;
    }
    if (m.qos != QoS.AT_MOST_ONCE) {
      m.packetId = nextFreePacketId();
    }
    Publish p = toPublish(m, false, now);
    if (!connection.fits(p)) {
      stats.tooLargeDropped.increment();
      p.release();
      forget(m.seq);
      m.release();
      return;
    }
    if (m.seq != 0) {
      sendStored(m, p);
      return;
    }
    connection.write(p);
    if (m.qos != QoS.AT_MOST_ONCE) {
      inflight().put(m.packetId, m);
    } else {
      m.release();
    }
    stats.publishSent.increment();
  }

  private void enqueue(OutboundMessage m) {
    if (queue == null) {
      queue = new ArrayDeque<>(8);
    }
    if (queue.size() >= limits.maxQueuedMessages()) {
      stats.queueOverflowDropped.increment();
      if (limits.queueOverflow() == QueueOverflow.DROP_NEW) {
        forget(m.seq);
        m.release();
        return;
      }
      OutboundMessage oldest = queue.pollFirst();
      forget(oldest.seq);
      oldest.release();
      stats.queuedMessages.decrementAndGet();
    }
    queue.addLast(m);
    stats.queuedMessages.incrementAndGet();
    if (connection != null && !congested && queue.size() > highWater()) {
      congested = true;
    }
  }

  // Publishers are slowed down once a connected subscriber's queue is half full, so that the
  // overflow policy is what happens to a subscriber that cannot keep up for long, not to one that
  // is merely slower than a burst.
  private int highWater() {
    return Math.max(1, limits.maxQueuedMessages() / 2);
  }

  /**
   * Whether publishers routing to this session should pause (a connected session whose queue is
   * over its high-water mark). Any thread.
   */
  @Override
  public boolean isCongested() {
    return congested;
  }

  @Override
  public Backpressure backpressure() {
    return this;
  }

  @Override
  public void deliver(Delivery d) {
    deliver(d.message(), d.qos(), d.retain(), d.subscriptionIds(), d.group(), d.seq());
  }

  @Override
  public void whenDrained(Runnable resume) {
    waiters.add(resume);
    if (!congested) {
      wakeWaiters();
    }
  }

  private void relieve() {
    congested = false;
    wakeWaiters();
  }

  private void wakeWaiters() {
    Runnable r;
    while ((r = waiters.poll()) != null) {
      r.run();
    }
  }

  /** Sends queued messages while the in-flight window and the socket allow. */
  public void drainQueue() {
    resendHeldBack();
    while (!storage.isLoading()
        && connection != null
        && unsent == 0
        && queueSize() > 0
        && canSend()) {
      stats.queuedMessages.decrementAndGet();
      send(queue.pollFirst());
    }
    if (congested && queueSize() <= highWater() / 2) {
      relieve();
    }
  }

  /** Resends in-flight messages held back at attach, oldest first, while the window allows. */
  private void resendHeldBack() {
    if (unsent == 0 || connection == null) {
      return;
    }
    for (Iterator<OutboundMessage> it = inflight.values().iterator(); it.hasNext(); ) {
      if (unsent == 0 || !canSend()) {
        return;
      }
      OutboundMessage m = it.next();
      if (m.unsent) {
        m.unsent = false;
        unsent--;
        if (!resend(m, true)) {
          it.remove();
        }
      }
    }
  }

  /**
   * Resends an in-flight PUBLISH with DUP set; returns false, having released it, when it is too
   * large for this connection's Maximum Packet Size: such a message is discarded as if sent
   * [MQTT-3.1.2-25] (bug fix: it used to be resent regardless [MQTT-3.1.2-24]).
   */
  private boolean resend(OutboundMessage m, boolean dup) {
    Publish p = toPublish(m, dup, System.nanoTime());
    if (!connection.fits(p)) {
      stats.tooLargeDropped.increment();
      p.release();
      forget(m.seq);
      m.release();
      return false;
    }
    connection.write(p);
    return true;
  }

  private int nextFreePacketId() {
    // At most 65535 messages are in flight (the window is capped), so a free id exists.
    while (true) {
      int id = nextPacketId;
      nextPacketId = id == 0xFFFF ? 1 : id + 1;
      if (inflight == null || !inflight.containsKey(id)) {
        return id;
      }
    }
  }

  private Publish toPublish(OutboundMessage m, boolean dup, long nowNanos) {
    Message msg = m.message;
    Properties props =
        connection.version().isV5()
            ? msg.deliveryProperties(m.subscriptionIds, nowNanos)
            : Properties.EMPTY;
    return new Publish(
        msg.topic(), m.qos, m.retain, dup, m.packetId, props, msg.payload().retainedDuplicate());
  }

  /** PUBACK for a QoS 1 message: it is done. Returns false for an unknown identifier. */
  public boolean onPubAck(int packetId) {
    OutboundMessage m = inflight == null ? null : inflight.get(packetId);
    if (m == null || m.qos != QoS.AT_LEAST_ONCE) {
      return false;
    }
    complete(m);
    return true;
  }

  /**
   * PUBREC for a QoS 2 message: answer PUBREL and wait for PUBCOMP; or, when the client refused the
   * message (a 5.0 reason code of 0x80 or more), it is done [MQTT-4.3.3-4].
   */
  public boolean onPubRec(int packetId, boolean accepted) {
    OutboundMessage m = inflight == null ? null : inflight.get(packetId);
    if (m == null || m.qos != QoS.EXACTLY_ONCE) {
      return false;
    }
    if (!accepted) {
      complete(m);
      return true;
    }
    // From here on only PUBREL is ever resent for this identifier [MQTT-4.3.3-3].
    m.released = true;
    if (m.unsent) {
      m.unsent = false; // acknowledged before it was resent here
      unsent--;
    }
    if (m.seq != 0 && storage.isEnabled()) {
      // PUBREL goes out once the store knows it did: a restart must not resend the PUBLISH.
      storage.sent(
          m.seq,
          packetId,
          true,
          () -> {
            if (connection != null && inflight != null && inflight.get(packetId) == m) {
              connection.write(PubRel.of(packetId));
              scheduleFlush();
            }
          });
    } else {
      connection.write(PubRel.of(packetId));
    }
    return true;
  }

  /** PUBCOMP: the QoS 2 message is done. */
  public boolean onPubComp(int packetId) {
    OutboundMessage m = inflight == null ? null : inflight.get(packetId);
    if (m == null || !m.released) {
      return false;
    }
    complete(m);
    return true;
  }

  private LinkedHashMap<Integer, OutboundMessage> inflight() {
    if (inflight == null) {
      inflight = new LinkedHashMap<>(8);
    }
    return inflight;
  }

  private int inflightSize() {
    return inflight == null ? 0 : inflight.size();
  }

  int queueSize() {
    return queue == null ? 0 : queue.size();
  }

  /** The in-flight messages, oldest first, for {@link SessionStorage}. */
  Iterable<OutboundMessage> inflightMessages() {
    return inflight == null ? List.of() : inflight.values();
  }

  /** The queue (a new empty one if there is none), for {@link SessionStorage}. */
  ArrayDeque<OutboundMessage> queuedMessages() {
    return queue == null ? new ArrayDeque<>() : queue;
  }

  /** Drops the oldest queued message to make room (queue overflow while offline). */
  void dropOldestQueued() {
    OutboundMessage oldest = queue.pollFirst();
    stats.queuedMessages.decrementAndGet();
    forget(oldest.seq);
    oldest.release();
  }

  /** The read-back from disk is done: {@code merged} is the queue now; sends what it can. */
  void readBackDone(ArrayDeque<OutboundMessage> merged) {
    queue = merged;
    drainQueue();
    scheduleFlush();
  }

  private void complete(OutboundMessage m) {
    inflight.remove(m.packetId);
    if (m.unsent) {
      unsent--;
    }
    forget(m.seq);
    m.release();
    drainQueue();
  }

  /** Whether any message is in flight or queued (for tests and $SYS). */
  public int pendingCount() {
    return inflightSize() + queueSize();
  }

  /**
   * Takes out the messages of shared subscriptions that another member of the group may get
   * instead: those still queued, and QoS 1 ones in flight. QoS 2 messages in flight stay: their
   * delivery completes with this session when it returns [MQTT-4.8.2-4]. Each is offered to {@code
   * sink}, which returns true if it took the message (and retained its payload if it keeps it).
   */
  public void takeShared(BiPredicate<SharedGroup, Message> sink) {
    if (inflight != null) {
      for (Iterator<OutboundMessage> it = inflight.values().iterator(); it.hasNext(); ) {
        OutboundMessage m = it.next();
        if (m.group != null && m.qos == QoS.AT_LEAST_ONCE && sink.test(m.group, m.message)) {
          it.remove();
          unsent -= m.unsent ? 1 : 0;
          forget(m.seq);
          m.release();
        }
      }
    }
    if (queue != null) {
      for (Iterator<OutboundMessage> it = queue.iterator(); it.hasNext(); ) {
        OutboundMessage m = it.next();
        if (m.group != null && sink.test(m.group, m.message)) {
          it.remove();
          stats.queuedMessages.decrementAndGet();
          forget(m.seq);
          m.release();
        }
      }
    }
  }

  // ---- persistence --------------------------------------------------------------------------

  /** Whether this session's state is being stored. Any thread. */
  public boolean isStored() {
    return storage.isStored();
  }

  /** Records a subscription made or replaced. */
  public void recordSubscribe(String filter, SubOptions options) {
    storage.recordSubscribe(filter, options);
  }

  /** Records a subscription removed. */
  public void recordUnsubscribe(String filter) {
    storage.recordUnsubscribe(filter);
  }

  /** Records an inbound QoS 2 packet id received ({@code added}) or released. */
  public void recordInbound(int packetId, boolean added) {
    storage.recordInbound(packetId, added);
  }

  /**
   * Records that the connection ended: the expiry interval counts from now, even across restarts.
   */
  public void recordDisconnected(long expirySeconds) {
    storage.recordDisconnected(expirySeconds);
  }

  /**
   * Restores a persistent session found in the store at start-up, before any connection: {@code
   * onDisk} messages wait on disk for it. Call on the owner, or before the owner runs anything.
   */
  public void restore(int onDisk) {
    persistent = true;
    everAttached = true;
    stats.persistentSessions.incrementAndGet();
    storage.restore(onDisk);
  }

  /** Restores a message that was in flight when the broker stopped; resent with DUP on attach. */
  public void restoreInflight(
      Message message, QoS qos, boolean retain, int[] ids, long seq, int packetId, boolean rel) {
    OutboundMessage m = new OutboundMessage(message, qos, retain, ids, null);
    m.seq = seq;
    m.packetId = packetId;
    m.released = rel;
    inflight().put(packetId, m);
  }

  /** Forgets the stored copy {@code seq}, if there is one. */
  private void forget(long seq) {
    storage.forget(seq);
  }

  /**
   * Sends a stored message. At QoS 2 it goes out once its in-flight record is durable: after a
   * restart it is then resent with the same packet id and DUP, so the subscriber can tell it is the
   * same message. At QoS 1 it goes out at once.
   */
  private void sendStored(OutboundMessage m, Publish p) {
    inflight().put(m.packetId, m);
    stats.publishSent.increment();
    if (m.qos == QoS.AT_LEAST_ONCE) {
      // QoS 1 may arrive twice: if the broker stops before this record is durable, the copy is
      // sent again after the restart as a new delivery, which at-least-once allows. Not waiting
      // for the store keeps the subscriber's in-flight window moving: waiting cost every slot a
      // store round trip and held durable QoS 1 latency at ~100 ms. (Records are written in
      // order, so what a restart finds sent is always a prefix: first arrivals stay in order.)
      storage.sentWithoutWaiting(m.seq, m.packetId);
      connection.write(p);
      return;
    }
    m.pendingWrite = p;
    storage.sent(m.seq, m.packetId, false, () -> writeStored(m));
  }

  private void writeStored(OutboundMessage m) {
    Publish p = m.pendingWrite;
    if (p == null) {
      return;
    }
    m.pendingWrite = null;
    if (connection == null || inflight == null || inflight.get(m.packetId) != m) {
      p.release();
      return;
    }
    connection.write(p);
    scheduleFlush();
  }

  /** Flushes once after the writes queued on this loop now: one flush for a burst of callbacks. */
  private void scheduleFlush() {
    if (flushScheduled) {
      return;
    }
    flushScheduled = true;
    owner.execute(
        () -> {
          flushScheduled = false;
          if (connection != null) {
            connection.flush();
          }
        });
  }

  /** How many times a connection was attached: tells a timer set while offline if it is stale. */
  public int generation() {
    return generation;
  }

  /** Whether a connection is attached. Any thread (may lag by a moment). */
  @Override
  public boolean isOnline() {
    return online;
  }

  /** Keeps a will to publish when {@code timer} fires or the session ends [MQTT-3.1.3-9]. */
  public void setPendingWill(Will will, Future<?> timer) {
    takePendingWill();
    pendingWill = will;
    willTimer = timer;
  }

  /** Records a will waiting {@code seconds} for its delay, so that a restart keeps it. */
  public void recordPendingWill(Will will, long seconds) {
    storage.recordPendingWill(will, seconds);
  }

  /** The will waiting for its delay, now no longer waiting (its timer cancelled), or null. */
  public Will takePendingWill() {
    Will w = pendingWill;
    pendingWill = null;
    if (w != null) {
      storage.recordWillDone();
    }
    if (willTimer != null) {
      willTimer.cancel(false);
      willTimer = null;
    }
    return w;
  }

  /** Sets the timer that ends this session when its expiry interval passes while offline. */
  public void setExpiryTimer(Future<?> timer) {
    cancelExpiry();
    expiryTimer = timer;
  }

  private void cancelExpiry() {
    if (expiryTimer != null) {
      expiryTimer.cancel(false);
      expiryTimer = null;
    }
  }
}
