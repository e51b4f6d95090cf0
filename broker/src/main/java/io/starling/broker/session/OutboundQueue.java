package io.starling.broker.session;

import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.config.BrokerConfig.QueueOverflow;
import io.starling.broker.metrics.BrokerStats;
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
 * {@code limits.max_queued_messages}, with the {@code queue_overflow} policy when full, and the
 * congestion signal that slows publishers down before it gets there.
 *
 * <p>Publishers are slowed down once a connected subscriber's queue is half full (the high-water
 * mark), so that the overflow policy is what happens to a subscriber that cannot keep up for long,
 * not to one that is merely slower than a burst; they go on when it is down to a quarter.
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

  private volatile boolean congested;
  private final Queue<Runnable> waiters = new ConcurrentLinkedQueue<>();

  OutboundQueue(Limits limits, BrokerStats stats) {
    this.limits = limits;
    this.stats = stats;
  }

  int size() {
    return queue == null ? 0 : queue.size();
  }

  /**
   * Adds a message at the tail. When the queue is full the overflow policy applies: the new message
   * or the oldest queued one goes to {@code discard} (and is counted). A connected session's queue
   * over its high-water mark becomes congested.
   */
  void add(OutboundMessage m, boolean connected, Consumer<OutboundMessage> discard) {
    if (queue == null) {
      queue = new ArrayDeque<>(8);
    }
    if (queue.size() >= limits.maxQueuedMessages()) {
      stats.queueOverflowDropped.increment();
      if (limits.queueOverflow() == QueueOverflow.DROP_NEW) {
        discard.accept(m);
        return;
      }
      dropOldest(discard);
    }
    queue.addLast(m);
    stats.queuedMessages.incrementAndGet();
    if (connected && !congested && queue.size() > highWater()) {
      congested = true;
    }
  }

  /** Takes the oldest message out; the queue must not be empty. */
  OutboundMessage poll() {
    stats.queuedMessages.decrementAndGet();
    return queue.pollFirst();
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
        stats.queuedMessages.decrementAndGet();
        discard.accept(m);
      }
    }
  }

  /** Empties the queue, handing each message to {@code discard}, and lets publishers go on. */
  void clear(Consumer<OutboundMessage> discard) {
    if (queue != null) {
      stats.queuedMessages.addAndGet(-queue.size());
      queue.forEach(discard);
      queue = null;
    }
    relieve();
  }

  /** The queue itself (a new empty one if there is none), for storage's read-back. */
  ArrayDeque<OutboundMessage> contents() {
    return queue == null ? new ArrayDeque<>() : queue;
  }

  /** Replaces the queue by {@code merged} (storage's read-back, already counted). */
  void replace(ArrayDeque<OutboundMessage> merged) {
    queue = merged;
  }

  private int highWater() {
    return Math.max(1, limits.maxQueuedMessages() / 2);
  }

  /** Lets publishers go on once a congested queue is down to its low-water mark. */
  void relieveIfDrained() {
    if (congested && size() <= highWater() / 2) {
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
