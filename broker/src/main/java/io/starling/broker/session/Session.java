package io.starling.broker.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.config.BrokerConfig.QueueOverflow;
import io.starling.broker.sys.BrokerStats;
import io.starling.codec.QoS;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The state the broker keeps for one client identifier: subscriptions, outbound messages queued and
 * in flight, and the packet identifiers of inbound QoS 2 messages not yet released.
 *
 * <p>Threading: a session has one owner at a time, the event loop of its connection (or of its last
 * connection while offline). Every method but {@link #execute} runs on the owner; {@link #execute}
 * gets a task there from any thread, following the session if it moves. Ownership moves only inside
 * a task run on the current owner ({@link #moveTo}).
 */
public final class Session implements Backpressure {
  /** Read permissions of the attached client; null when it may receive everything. */
  private java.util.function.Predicate<String> readFilter;

  private final String clientId;
  private final Limits limits;
  private final BrokerStats stats;
  private volatile EventLoop owner;

  // Owner-confined state.
  private boolean persistent;
  private boolean destroyed;
  private boolean everAttached;
  private SessionConnection connection;
  // Created on first use: most sessions of an idle fleet never need some of them.
  private Map<String, QoS> subscriptions;
  private LinkedHashMap<Integer, OutboundMessage> inflight;
  private ArrayDeque<OutboundMessage> queue;
  private Set<Integer> inboundQos2;
  private int nextPacketId = 1;
  private boolean flushPending;

  /** Set while a connected session's queue is over its high-water mark; read by publishers. */
  private volatile boolean congested;

  private final Queue<Runnable> waiters = new ConcurrentLinkedQueue<>();

  public Session(String clientId, EventLoop owner, Limits limits, BrokerStats stats) {
    this.clientId = clientId;
    this.owner = owner;
    this.limits = limits;
    this.stats = stats;
  }

  /**
   * Sets the check each delivery must pass (the client's read permissions), or {@code null} for
   * none. On the owner loop, when a connection attaches.
   */
  public void readFilter(java.util.function.Predicate<String> filter) {
    this.readFilter = filter;
  }

  public String clientId() {
    return clientId;
  }

  /** The event loop that owns this session now. Any thread. */
  public EventLoop owner() {
    return owner;
  }

  /** Runs {@code task} on the owner, following the session if ownership moves meanwhile. */
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

  /** The session's subscriptions, filter to granted QoS; the caller may change them. */
  public Map<String, QoS> subscriptions() {
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
    this.connection = conn;
    if (this.persistent != persistent) {
      stats.persistentSessions.addAndGet(persistent ? 1 : -1);
    }
    this.persistent = persistent;
    this.everAttached = true;
    for (OutboundMessage m : inflight == null ? List.<OutboundMessage>of() : inflight.values()) {
      conn.write(m.released ? PubRel.of(m.packetId) : toPublish(m, true));
    }
    drainQueue();
    conn.flush();
  }

  /**
   * Notes that this session has writes to flush at the end of a delivery batch; returns true the
   * first time, so that each session is flushed once per batch.
   */
  public boolean markForFlush() {
    if (connection == null || flushPending) {
      return false;
    }
    flushPending = true;
    return true;
  }

  /** Flushes the connection's writes, if attached. */
  public void flush() {
    flushPending = false;
    if (connection != null) {
      connection.flush();
    }
  }

  /** Detaches the connection; the session stays for a later CONNECT unless it is not persistent. */
  public void detach() {
    connection = null;
    flushPending = false;
    // Nobody is reading now: publishers must not wait for this session (its queue keeps the
    // overflow policy while it is offline).
    relieve();
  }

  /** Drops all state: subscriptions (the caller removes them from the index), queue, in-flight. */
  public void destroy() {
    destroyed = true;
    connection = null;
    if (persistent) {
      stats.persistentSessions.decrementAndGet();
      persistent = false;
    }
    clearMessages();
    if (subscriptions != null) {
      stats.subscriptions.addAndGet(-subscriptions.size());
      subscriptions = null;
    }
  }

  /** Forgets messages and inbound QoS 2 state, as a clean session does. */
  public void clearMessages() {
    if (inflight != null) {
      for (OutboundMessage m : inflight.values()) {
        m.payload.release();
      }
      inflight = null;
    }
    if (queue != null) {
      stats.queuedMessages.addAndGet(-queue.size());
      for (OutboundMessage m : queue) {
        m.payload.release();
      }
      queue = null;
    }
    inboundQos2 = null;
    relieve();
  }

  /**
   * Delivers a message at {@code qos} (already min(publish QoS, granted QoS)). Takes no ownership
   * of {@code payload}: retains it if it keeps it.
   */
  public void deliver(String topic, ByteBuf payload, QoS qos, boolean retain) {
    if (destroyed) {
      return;
    }
    if (readFilter != null && !readFilter.test(topic)) {
      stats.deliveriesDenied.increment(); // the ACL withholds this topic from this client
      return;
    }
    if (qos == QoS.AT_MOST_ONCE) {
      if (connection != null && connection.isWritable()) {
        connection.write(
            new Publish(
                topic, qos, retain, false, 0, Properties.EMPTY, payload.retainedDuplicate()));
        stats.publishSent.increment();
      } else if (connection == null && persistent && limits.queueQos0WhileOffline()) {
        enqueue(new OutboundMessage(topic, payload.retain(), qos, retain));
      } else {
        stats.qos0Dropped.increment();
      }
      return;
    }
    OutboundMessage m = new OutboundMessage(topic, payload.retain(), qos, retain);
    if (connection != null && queueSize() == 0 && canSend()) {
      send(m);
    } else if (connection != null || persistent) {
      enqueue(m);
    } else {
      m.payload.release();
    }
  }

  private boolean canSend() {
    return inflightSize() < limits.maxInflightMessages() && connection.isWritable();
  }

  private void send(OutboundMessage m) {
    if (m.qos != QoS.AT_MOST_ONCE) {
      m.packetId = nextFreePacketId();
      inflight().put(m.packetId, m);
      connection.write(toPublish(m, false));
    } else {
      connection.write(toPublish(m, false));
      m.payload.release();
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
        m.payload.release();
        return;
      }
      queue.pollFirst().payload.release();
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
  public boolean isCongested() {
    return congested;
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
    while (connection != null && queueSize() > 0 && canSend()) {
      stats.queuedMessages.decrementAndGet();
      send(queue.pollFirst());
    }
    if (congested && queueSize() <= highWater() / 2) {
      relieve();
    }
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

  private static MqttPacket toPublish(OutboundMessage m, boolean dup) {
    return new Publish(
        m.topic, m.qos, m.retain, dup, m.packetId, Properties.EMPTY, m.payload.retainedDuplicate());
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

  /** PUBREC for a QoS 2 message: answer PUBREL and wait for PUBCOMP. */
  public boolean onPubRec(int packetId) {
    OutboundMessage m = inflight == null ? null : inflight.get(packetId);
    if (m == null || m.qos != QoS.EXACTLY_ONCE) {
      return false;
    }
    // From here on only PUBREL is ever resent for this identifier [MQTT-4.3.3-3].
    m.released = true;
    connection.write(PubRel.of(packetId));
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

  private int queueSize() {
    return queue == null ? 0 : queue.size();
  }

  private void complete(OutboundMessage m) {
    inflight.remove(m.packetId);
    m.payload.release();
    drainQueue();
  }

  /** Whether any message is in flight or queued (for tests and $SYS). */
  public int pendingCount() {
    return inflightSize() + queueSize();
  }
}
