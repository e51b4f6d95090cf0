package io.starling.broker.session;

import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.config.BrokerConfig.QueueOverflow;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.MessageSize;
import io.starling.broker.routing.Backpressure;
import io.starling.broker.threading.AnyThread;
import io.starling.broker.threading.EventLoopOnly;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A session's messages waiting for its in-flight window or for its client to return: bounded by
 * {@code limits.max_queued_messages} and by {@code limits.max_queued_bytes} (each message counted
 * by {@link MessageSize}), with the {@code queue_overflow} policy when either is reached, and the
 * congestion signal that slows publishers down before it gets there. A queue always takes one
 * message, however large (it is at most {@code limits.max_packet_size}), so a single message over
 * the byte bound is still delivered. Messages an offline session keeps on disk (persistence) are
 * bounded by count there, and by bytes once they are read back into this queue.
 *
 * <p>Publishers are slowed down once a connected subscriber's queue is half full, by count or by
 * bytes (the high-water mark), so that the overflow policy is what happens to a subscriber that
 * cannot keep up for long, not to one that is merely slower than a burst; they go on when it is
 * down to a quarter of both.
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
  private final Queue<Runnable> waiters = new ConcurrentLinkedQueue<>();

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
   * applies: the new message or the oldest queued ones go to {@code discard} (each counted). A
   * connected session's queue over its high-water mark becomes congested.
   */
  void add(OutboundMessage m, boolean connected, Consumer<OutboundMessage> discard) {
    if (queue == null) {
      queue = new ArrayDeque<>(8);
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
  boolean isCongested() {
    return congested;
  }

  @AnyThread
  @Override
  public void whenDrained(Runnable resume) {
    waiters.add(resume);
    if (!congested) {
      wakeWaiters();
    }
  }

  private void wakeWaiters() {
    Runnable r;
    while ((r = waiters.poll()) != null) {
      r.run();
    }
  }
}
