package io.starling.broker.session;

import io.netty.channel.EventLoop;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.Message;
import io.starling.broker.routing.Delivery;
import io.starling.broker.routing.SharedGroup;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.QoS;
import io.starling.codec.packet.PubRel;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;

/**
 * What a session sends: the decision for each delivery (send now, queue, keep on disk, drop), the
 * {@link OutboundQueue} and the {@link InflightWindow} with its packet identifiers, resending on
 * reconnect, and the acknowledgements that free the window. One per {@link Session}, confined to
 * its owner loop; the session tells it when a connection attaches and detaches.
 *
 * <p>Every PUBLISH it writes, sent or resent, first passes the owner's read check as it is now
 * ({@link Session#mayReceive}): whatever was queued, kept on disk or in flight under an earlier
 * owner or an earlier ACL, nothing goes out that the owner may not read now; such a message is
 * dropped with its stored copy and counted.
 */
@EventLoopOnly
final class OutboundFlow {
  private final Limits limits;
  private final BrokerStats stats;
  private final SessionStorage storage;

  /** The session this is the outbound side of: its owner loop and its owner's read check. */
  private final Session session;

  private final InflightWindow inflight = new InflightWindow();
  private final OutboundQueue queue;
  private SessionConnection connection;
  private boolean flushPending;
  private boolean flushScheduled;

  /** When the subscriber last took a queued message or acknowledged one (System.nanoTime). */
  private long lastProgress = System.nanoTime();

  /** A slow-subscriber check is scheduled. */
  private boolean watching;

  OutboundFlow(Limits limits, BrokerStats stats, SessionStorage storage, Session session) {
    this.limits = limits;
    this.stats = stats;
    this.storage = storage;
    this.session = session;
    this.queue = new OutboundQueue(limits, stats);
  }

  InflightWindow inflight() {
    return inflight;
  }

  OutboundQueue queue() {
    return queue;
  }

  /** The attached connection, or null while the session is offline. */
  SessionConnection connection() {
    return connection;
  }

  /** Whether anything is in flight or queued. */
  int pendingCount() {
    return inflight.size() + queue.size();
  }

  /** A connection attached: resend what is in flight, then what is queued. */
  void attach(SessionConnection conn) {
    connection = conn;
    lastProgress = System.nanoTime();
    resendInflight(conn);
    drainQueue();
    conn.flush();
  }

  /** The connection went: nobody is reading, so publishers must not wait for this session. */
  void detach() {
    connection = null;
    flushPending = false;
    queue.relieve();
  }

  /** Forgets everything queued and in flight (clean start, end of session). */
  void clear() {
    inflight.clear(OutboundMessage::release);
    queue.clear(OutboundMessage::release);
  }

  boolean markForFlush() {
    if (connection == null || flushPending) {
      return false;
    }
    flushPending = true;
    return true;
  }

  void flush() {
    flushPending = false;
    if (connection != null) {
      connection.flush();
    }
  }

  /**
   * Unacknowledged messages are resent with their packet identifiers [MQTT-4.4.0-1], but no more
   * PUBLISH packets than the new connection's window allows [MQTT-3.3.4-9]: the rest are resent as
   * acknowledgements free the window (bug fix: all of them used to go at once).
   */
  private void resendInflight(SessionConnection conn) {
    int window = window(conn);
    int sent = 0;
    for (Iterator<OutboundMessage> it = inflight.iterator(); it.hasNext(); ) {
      OutboundMessage m = it.next();
      inflight.markSent(m);
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
        inflight.markUnsent(m);
      }
    }
  }

  /**
   * Delivers a message at the delivery's QoS (already min(publish QoS, granted QoS)). A copy stored
   * for this session ({@link StoredCopies}) stays on disk only while the session is offline. Takes
   * no ownership of the payload: retains it if it keeps it.
   */
  void deliver(Delivery d, boolean persistent) {
    long seq = d.seq();
    if (d.qos() == QoS.AT_MOST_ONCE) {
      deliverAtMostOnce(d, persistent);
      return;
    }
    if (connection == null && !persistent) {
      storage.forget(seq);
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
    OutboundMessage m = OutboundMessage.of(d);
    m.seq = seq;
    if (connection != null && queue.size() == 0 && !storage.isLoading() && canSend()) {
      send(m);
    } else {
      enqueue(m);
    }
  }

  /**
   * QoS 0 to a connected subscriber goes out now if nothing is queued ahead of it and the socket
   * takes it, and waits in the bounded queue otherwise, dropped only when that is full (bug fix: it
   * used to be dropped whenever the socket buffer was over its high-water mark, which a subscriber
   * that keeps up still reaches for a moment in every burst).
   */
  private void deliverAtMostOnce(Delivery d, boolean persistent) {
    if (connection != null) {
      OutboundMessage m = OutboundMessage.of(d);
      if (queue.size() == 0 && connection.isWritable()) {
        send(m);
      } else {
        enqueue(m);
      }
    } else if (persistent && limits.queueQos0WhileOffline()) {
      enqueue(OutboundMessage.of(d));
    } else {
      stats.qos0Dropped.increment();
    }
  }

  private int window(SessionConnection conn) {
    return Math.min(limits.maxInflightMessages(), conn.receiveMaximum());
  }

  private boolean canSend() {
    return inflight.outstanding() < window(connection) && connection.isWritable();
  }

  /**
   * Writes a message, or drops it if the owner may not read it, if it expired while queued
   * [MQTT-3.3.2-5] or if it is too large for the client [MQTT-3.1.2-25]; each is counted.
   */
  private void send(OutboundMessage m) {
    if (isWithheld(m)) {
      return;
    }
    long now = System.nanoTime();
    if (m.message.isExpired(now)) {
      stats.expiredDropped.increment();
      discard(m);
      return;
    }
    if (m.qos != QoS.AT_MOST_ONCE) {
      m.packetId = inflight.nextFreePacketId();
    }
    var p = m.toPublish(connection.version(), false, now);
    if (!connection.fits(p)) {
      stats.tooLargeDropped.increment();
      p.release();
      discard(m);
      return;
    }
    stats.publishSent.increment();
    if (m.qos == QoS.AT_MOST_ONCE) {
      connection.write(p);
      m.release();
      return;
    }
    inflight.add(m);
    if (m.seq == 0 || m.qos == QoS.AT_LEAST_ONCE) {
      // QoS 1 may arrive twice: if the broker stops before a stored copy's record is durable, the
      // copy is sent again after the restart as a new delivery, which at-least-once allows. Not
      // waiting for the store keeps the subscriber's window moving: waiting cost every slot a store
      // round trip and held durable QoS 1 latency at ~100 ms. (Records are written in order, so
      // what a restart finds sent is always a prefix: first arrivals stay in order.)
      if (m.seq != 0) {
        storage.sentWithoutWaiting(m.seq, m.packetId);
      }
      connection.write(p);
      return;
    }
    // A stored QoS 2 message goes out once its in-flight record is durable: after a restart it is
    // then resent with the same packet id and DUP, so the subscriber can tell it is the same one.
    m.pendingWrite = p;
    storage.sent(m.seq, m.packetId, false, () -> writeStored(m));
  }

  /**
   * Whether the owner may not read {@code m}'s topic now; if so, drops it (and its stored copy) and
   * counts it.
   */
  private boolean isWithheld(OutboundMessage m) {
    if (session.mayReceive(m.message.topic())) {
      return false;
    }
    stats.deliveriesDenied.increment();
    discard(m);
    return true;
  }

  private void writeStored(OutboundMessage m) {
    var p = m.pendingWrite;
    if (p == null) {
      return;
    }
    m.pendingWrite = null;
    if (connection == null || !inflight.holds(m)) {
      p.release();
      return;
    }
    connection.write(p);
    scheduleFlush();
  }

  /** Forgets the stored copy of a message that will not be sent, and releases it. */
  void discard(OutboundMessage m) {
    storage.forget(m.seq);
    m.release();
  }

  private void enqueue(OutboundMessage m) {
    queue.add(m, connection != null, this::discard);
    if (connection != null && m.qos != QoS.AT_MOST_ONCE && queue.isCongested()) {
      watchForProgress();
    }
  }

  /**
   * Sends queued messages while the socket allows, QoS 1/2 ones while the in-flight window does too
   * (a QoS 0 message at the head needs no slot).
   */
  void drainQueue() {
    resendHeldBack();
    int sent = 0;
    while (!storage.isLoading()
        && connection != null
        && inflight.unsentCount() == 0
        && queue.size() > 0
        && connection.isWritable()
        && (queue.peek().qos == QoS.AT_MOST_ONCE || inflight.outstanding() < window(connection))) {
      send(queue.poll());
      sent++;
    }
    if (sent > 0) {
      lastProgress = System.nanoTime();
    }
    queue.relieveIfDrained();
  }

  // ---- slow subscribers ---------------------------------------------------------------------

  /**
   * Starts the slow-subscriber check if it is not running: the queue is congested and holds
   * publishers back. The check runs on the owner loop once the subscriber has had {@code
   * limits.slow_subscriber_timeout_seconds} to make progress (take a queued message, acknowledge
   * one); if it made none and its queue is still congested, it is disconnected (5.0: DISCONNECT
   * 0x97 Quota exceeded), and its session, offline, keeps its queue, so its publishers go on and
   * nothing acknowledged is dropped for a subscriber that is still there.
   */
  private void watchForProgress() {
    int timeout = limits.slowSubscriberTimeoutSeconds();
    if (watching || timeout == 0) {
      return;
    }
    watching = true;
    long now = System.nanoTime();
    if (now - lastProgress > TimeUnit.SECONDS.toNanos(timeout)) {
      lastProgress = now; // congested now after an idle spell: the time runs from here
    }
    scheduleProgressCheck(connection, lastProgress + TimeUnit.SECONDS.toNanos(timeout) - now);
  }

  private void scheduleProgressCheck(SessionConnection watched, long delayNanos) {
    session
        .owner()
        .schedule(() -> checkProgress(watched), Math.max(delayNanos, 0), TimeUnit.NANOSECONDS);
  }

  private void checkProgress(SessionConnection watched) {
    EventLoop current = session.owner();
    if (!current.inEventLoop()) {
      // The session moved to another loop (a takeover) since the check was scheduled: its state is
      // that loop's now. It moves only inside a task run on its owner, so there it holds still.
      current.execute(() -> checkProgress(watched));
      return;
    }
    if (connection != watched || connection == null || !queue.isCongested()) {
      watching = false; // gone, or caught up: the next congestion starts a new check
      return;
    }
    long timeout = TimeUnit.SECONDS.toNanos(limits.slowSubscriberTimeoutSeconds());
    long due = lastProgress + timeout - System.nanoTime();
    if (due > 0) {
      scheduleProgressCheck(watched, due);
      return;
    }
    watching = false;
    stats.slowSubscriberDisconnects.increment();
    connection.closeForSlowSubscriber(limits.slowSubscriberTimeoutSeconds());
  }

  /** Resends in-flight messages held back at attach, oldest first, while the window allows. */
  private void resendHeldBack() {
    if (inflight.unsentCount() == 0 || connection == null) {
      return;
    }
    for (Iterator<OutboundMessage> it = inflight.iterator(); it.hasNext(); ) {
      if (inflight.unsentCount() == 0 || !canSend()) {
        return;
      }
      OutboundMessage m = it.next();
      if (m.unsent) {
        inflight.markSent(m);
        if (!resend(m, true)) {
          it.remove();
        }
      }
    }
  }

  /**
   * Resends an in-flight PUBLISH with DUP set; returns false, having released it, when the owner
   * may not read it now (a message in flight to an earlier owner, or before the ACL changed), or
   * when it is too large for this connection's Maximum Packet Size: such a message is discarded as
   * if sent [MQTT-3.1.2-25] (bug fix: it used to be resent regardless [MQTT-3.1.2-24]).
   */
  private boolean resend(OutboundMessage m, boolean dup) {
    if (isWithheld(m)) {
      return false;
    }
    var p = m.toPublish(connection.version(), dup, System.nanoTime());
    if (!connection.fits(p)) {
      stats.tooLargeDropped.increment();
      p.release();
      discard(m);
      return false;
    }
    connection.write(p);
    return true;
  }

  // ---- acknowledgements -----------------------------------------------------------------------

  /** PUBACK for a QoS 1 message: it is done. Returns false for an unknown identifier. */
  boolean onPubAck(int packetId) {
    OutboundMessage m = inflight.get(packetId);
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
  boolean onPubRec(int packetId, boolean accepted) {
    OutboundMessage m = inflight.get(packetId);
    if (m == null || m.qos != QoS.EXACTLY_ONCE) {
      return false;
    }
    if (!accepted) {
      complete(m);
      return true;
    }
    // From here on only PUBREL is ever resent for this identifier [MQTT-4.3.3-3].
    lastProgress = System.nanoTime();
    m.released = true;
    inflight.markSent(m); // acknowledged before it was resent here, perhaps
    if (m.seq != 0 && storage.isEnabled()) {
      // PUBREL goes out once the store knows it did: a restart must not resend the PUBLISH.
      storage.sent(
          m.seq,
          packetId,
          true,
          () -> {
            if (connection != null && inflight.holds(m)) {
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
  boolean onPubComp(int packetId) {
    OutboundMessage m = inflight.get(packetId);
    if (m == null || !m.released) {
      return false;
    }
    complete(m);
    return true;
  }

  private void complete(OutboundMessage m) {
    lastProgress = System.nanoTime();
    inflight.remove(m);
    discard(m);
    drainQueue();
  }

  /** Flushes once after the writes queued on this loop now: one flush for a burst of callbacks. */
  private void scheduleFlush() {
    if (flushScheduled) {
      return;
    }
    flushScheduled = true;
    session
        .owner()
        .execute(
            () -> {
              flushScheduled = false;
              if (connection != null) {
                connection.flush();
              }
            });
  }

  /**
   * Takes out the messages of shared subscriptions that another member of the group may get
   * instead: those still queued, and QoS 1 ones in flight. QoS 2 messages in flight stay: their
   * delivery completes with this session when it returns [MQTT-4.8.2-4]. Each is offered to {@code
   * sink}, which returns true if it took the message (and retained its payload if it keeps it).
   */
  void takeShared(BiPredicate<SharedGroup, Message> sink) {
    for (Iterator<OutboundMessage> it = inflight.iterator(); it.hasNext(); ) {
      OutboundMessage m = it.next();
      if (m.group != null && m.qos == QoS.AT_LEAST_ONCE && sink.test(m.group, m.message)) {
        it.remove();
        discard(m);
      }
    }
    queue.removeIf(m -> m.group != null && sink.test(m.group, m.message), this::discard);
  }

  /** The read-back from disk is done: {@code merged} is the queue now; sends what it can. */
  void readBackDone(ArrayDeque<OutboundMessage> merged) {
    queue.replace(merged);
    drainQueue();
    scheduleFlush();
  }

  /** Restores a message that was in flight when the broker stopped; resent with DUP on attach. */
  void restoreInflight(
      Message message, QoS qos, boolean retain, int[] ids, long seq, int packetId, boolean rel) {
    OutboundMessage m = new OutboundMessage(message, qos, retain, ids, null);
    m.seq = seq;
    m.packetId = packetId;
    m.released = rel;
    inflight.add(m);
  }
}
