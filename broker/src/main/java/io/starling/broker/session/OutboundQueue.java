package io.starling.broker.session;

import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.config.BrokerConfig.QueueOverflow;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.MessageSize;
import io.starling.broker.routing.Backpressure;
import io.starling.broker.threading.AnyThread;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.QoS;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A session's messages waiting for its in-flight window, its socket, or its client to return:
 * bounded by {@code limits.max_queued_messages} and by {@code limits.max_queued_bytes} (each
 * message counted by {@link MessageSize}), and the congestion signal that holds publishers back
 * before it gets there. A queue always takes one message, however large (it is at most {@code
 * limits.max_packet_size}), so a single message over the byte bound is still delivered. Messages an
 * offline session keeps on disk (persistence) are bounded by count there, and by bytes once they
 * are read back into this queue.
 *
 * <p>What happens at the bound depends on whether the session is connected:
 *
 * <ul>
 *   <li>Offline, the {@code queue_overflow} policy applies to every message.
 *   <li>Connected, the policy applies to QoS 0 only (a QoS 0 message never evicts a QoS 1/2 one). A
 *       QoS 1/2 message the broker acknowledged to its publisher is never dropped for a connected
 *       subscriber: publishers routing QoS 1/2 to it are held back once the queue is half full, by
 *       count or by bytes (the high-water mark), until it is down to a quarter of both, so the
 *       queue goes past its bound only by what those publishers had already read when they were
 *       paused (one read batch each, and what was on its way through the mailboxes). A subscriber
 *       that stops acknowledging is disconnected by its {@link OutboundFlow} after {@code
 *       limits.slow_subscriber_timeout_seconds}, and its queue, offline, meets the policy again.
 * </ul>
 *
 * <p>Threading: owned by its session's loop, except {@link #isCongested} and {@link #whenDrained},
 * which publishers' loops call.
 */
@EventLoopOnly
final class OutboundQueue implements Backpressure {
  private final Limits limits;
  private final BrokerStats stats;

  /** Made on first use: most sessions of an idle fleet never queue anything. */
  private ArrayDeque<OutboundMessage> queue;

  /** The {@link MessageSize} of the messages in {@link #queue}. */
  private long bytes;

  private volatile boolean congested;

  /**
   * Publishers waiting for this queue to drain; made by the first of them (most sessions are never
   * congested, and an empty concurrent queue costs every idle session 48 bytes).
   */
  private volatile Queue<Runnable> waiters;

  private static final VarHandle WAITERS;

  static {
    try {
      WAITERS = MethodHandles.lookup().findVarHandle(OutboundQueue.class, "waiters", Queue.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  OutboundQueue(Limits limits, BrokerStats stats) {
    this.limits = limits;
    this.stats = stats;
  }

  int size() {
    return queue == null ? 0 : queue.size();
  }

  /** The bytes ({@link MessageSize}) of the queued messages. */
  long bytes() {
    return bytes;
  }

  /**
   * Adds a message at the tail. When the queue is full, by count or by bytes, the overflow policy
   * applies (offline: to any message; connected: to QoS 0 only, see the class comment): the new
   * message or the oldest queued ones go to {@code discard} (each counted). A connected session's
   * queue over its high-water mark becomes congested.
   */
  void add(OutboundMessage m, boolean connected, Consumer<OutboundMessage> discard) {
    if (queue == null) {
      queue = new ArrayDeque<>(8);
    }
    if (connected) {
      addConnected(m, discard);
      return;
    }
    boolean dropNew = limits.queueOverflow() == QueueOverflow.DROP_NEW;
    if (queue.size() >= limits.maxQueuedMessages()) {
      stats.queueOverflowDropped.increment();
      if (dropNew) {
        discard.accept(m);
        return;
      }
      dropOldest(discard);
    }
    long weight = MessageSize.of(m.message);
    while (!queue.isEmpty() && bytes + weight > limits.maxQueuedBytes()) {
      stats.queueOverflowDropped.increment();
      stats.queueBytesDropped.increment();
      if (dropNew) {
        discard.accept(m);
        return;
      }
      dropOldest(discard);
    }
    queue.addLast(m);
    added(weight);
    stats.queuedMessages.incrementAndGet();
    if (connected && !congested && isOverHighWater()) {
      congested = true;
    }
  }

  /**
   * A connected session's message: QoS 1/2 always goes in (its publishers are held back instead);
   * QoS 0 meets the overflow policy when the queue is full, and evicts only QoS 0 (drop_oldest
   * takes the oldest message when it is QoS 0, the new one otherwise).
   */
  private void addConnected(OutboundMessage m, Consumer<OutboundMessage> discard) {
    long weight = MessageSize.of(m.message);
    if (m.qos == QoS.AT_MOST_ONCE && !queue.isEmpty()) {
      boolean overCount = queue.size() >= limits.maxQueuedMessages();
      boolean overBytes = bytes + weight > limits.maxQueuedBytes();
      if (overCount || overBytes) {
        stats.queueOverflowDropped.increment();
        if (overBytes) {
          stats.queueBytesDropped.increment();
        }
        if (limits.queueOverflow() == QueueOverflow.DROP_OLDEST
            && queue.peekFirst().qos == QoS.AT_MOST_ONCE) {
          dropOldest(discard);
        } else {
          discard.accept(m);
          return;
        }
      }
    }
    queue.addLast(m);
    added(weight);
    stats.queuedMessages.incrementAndGet();
    if (!congested && isOverHighWater()) {
      congested = true;
    }
  }

  /** The oldest queued message, or null. */
  OutboundMessage peek() {
    return queue == null ? null : queue.peekFirst();
  }

  private void added(long weight) {
    bytes += weight;
    stats.queuedBytes.addAndGet(weight);
  }

  private void removed(OutboundMessage m) {
    long weight = MessageSize.of(m.message);
    bytes -= weight;
    stats.queuedBytes.addAndGet(-weight);
  }

  /** Takes the oldest message out; the queue must not be empty. */
  OutboundMessage poll() {
    stats.queuedMessages.decrementAndGet();
    OutboundMessage m = queue.pollFirst();
    removed(m);
    return m;
  }

  /** Drops the oldest queued message, handing it to {@code discard}. */
  void dropOldest(Consumer<OutboundMessage> discard) {
    discard.accept(poll());
  }

  /** Takes out every message {@code taken} accepts, handing each to {@code discard}. */
  void removeIf(Predicate<OutboundMessage> taken, Consumer<OutboundMessage> discard) {
    if (queue == null) {
      return;
    }
    for (Iterator<OutboundMessage> it = queue.iterator(); it.hasNext(); ) {
      OutboundMessage m = it.next();
      if (taken.test(m)) {
        it.remove();
        removed(m);
        stats.queuedMessages.decrementAndGet();
        discard.accept(m);
      }
    }
  }

  /** Empties the queue, handing each message to {@code discard}, and lets publishers go on. */
  void clear(Consumer<OutboundMessage> discard) {
    if (queue != null) {
      stats.queuedMessages.addAndGet(-queue.size());
      stats.queuedBytes.addAndGet(-bytes);
      bytes = 0;
      queue.forEach(discard);
      queue = null;
    }
    relieve();
  }

  /** The queue itself (a new empty one if there is none), for storage's read-back. */
  ArrayDeque<OutboundMessage> contents() {
    return queue == null ? new ArrayDeque<>() : queue;
  }

  /**
   * Replaces the queue by {@code merged} (storage's read-back, its count already taken). Messages
   * read back from disk are all kept (the disk queue is bounded by {@code max_queued_messages}),
   * but their bytes count from now on: while they are over {@code max_queued_bytes}, new messages
   * meet the overflow policy and publishers are held back as for any full queue.
   */
  void replace(ArrayDeque<OutboundMessage> merged) {
    long before = bytes;
    bytes = 0;
    for (OutboundMessage m : merged) {
      bytes += MessageSize.of(m.message);
    }
    stats.queuedBytes.addAndGet(bytes - before);
    queue = merged;
  }

  private int highWater() {
    return Math.max(1, limits.maxQueuedMessages() / 2);
  }

  private long highWaterBytes() {
    return Math.max(1, limits.maxQueuedBytes() / 2);
  }

  private boolean isOverHighWater() {
    return queue.size() > highWater() || bytes > highWaterBytes();
  }

  /** Lets publishers go on once a congested queue is down to its low-water mark. */
  void relieveIfDrained() {
    if (congested && size() <= highWater() / 2 && bytes <= highWaterBytes() / 2) {
      relieve();
    }
  }

  /** Lets publishers go on now (the session went offline, or forgot its messages). */
  void relieve() {
    congested = false;
    wakeWaiters();
  }

  /** Whether publishers routing QoS 1/2 messages to this queue should pause. */
  @AnyThread
  @Override
  public boolean isCongested() {
    return congested;
  }

  @AnyThread
  @Override
  public void whenDrained(Runnable resume) {
    Queue<Runnable> w = waiters;
    if (w == null) {
      WAITERS.compareAndSet(this, null, new ConcurrentLinkedQueue<Runnable>());
      w = waiters;
    }
    w.add(resume);
    if (!congested) {
      wakeWaiters();
    }
  }

  private void wakeWaiters() {
    Queue<Runnable> w = waiters;
    if (w == null) {
      return; // nobody ever waited; one who comes later sees congested false and goes on
    }
    Runnable r;
    while ((r = w.poll()) != null) {
      r.run();
    }
  }
}
