package io.starling.broker.routing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.Message;
import io.starling.broker.model.MessageSize;
import io.starling.broker.threading.AnyThread;
import io.starling.codec.QoS;
import io.starling.codec.Topics;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Retained messages, one per topic [MQTT-3.3.1-5]: a new one replaces the old, an empty payload
 * clears it [MQTT-3.3.1-10] [MQTT-3.3.1-11]. They are kept in a tree of topic levels, so that a new
 * subscription's filter is matched by walking only the branches it can reach: an exact filter is
 * one path, {@code +} visits the children of one level, {@code #} a subtree. Filters starting with
 * a wildcard skip topics starting with {@code $} [MQTT-4.7.2-1]. Every walk is a loop over an
 * explicit stack on the heap, never a recursion, so no topic depth decides the depth of a thread's
 * stack.
 *
 * <p>Bounded: at most {@code limits.max_retained_messages} messages and {@code
 * limits.max_retained_bytes} bytes ({@link MessageSize}) on topics that do not start with {@code $}
 * (the broker's own {@code $SYS} topics are a fixed set and never refused). A message that does not
 * fit is not stored and counted; the one it would have replaced goes too, as 3.1.1 describes for a
 * retained message the server chooses to discard: "there will be no retained message for that
 * topic" [MQTT-3.3.1-7], rather than a stale one.
 *
 * <p>Payloads are copied into their own heap buffers so a retained message never pins a
 * connection's read buffer. Lookups take no lock; updates are serialised by one short lock so that
 * emptied branches can be pruned and the totals checked against the limits. Thread-safe.
 */
@AnyThread
public final class RetainedStore {
  private static final class Node {
    final Map<String, Node> children = new ConcurrentHashMap<>(4);
    volatile Message message;
  }

  /** A branch a match still has to walk. */
  private record Step(Node node, int depth) {}

  private final Node root = new Node();
  private final ReentrantLock writeLock = new ReentrantLock();
  private final AtomicInteger size = new AtomicInteger();
  private final AtomicLong bytes = new AtomicLong();
  private final long maxMessages;
  private final long maxBytes;
  private final BrokerStats stats;

  /**
   * Messages and bytes on topics held to the limits (not starting with $); changed under the lock.
   */
  private final AtomicLong limitedCount = new AtomicLong();

  private final AtomicLong limitedBytes = new AtomicLong();

  /** A store without limits (tests, benchmarks). */
  public RetainedStore() {
    this(Long.MAX_VALUE, Long.MAX_VALUE, new BrokerStats());
  }

  /**
   * A store held to {@code limits.max_retained_messages} and {@code max_retained_bytes}, counting
   * refusals in {@code stats.retainedRefused}.
   */
  public RetainedStore(Limits limits, BrokerStats stats) {
    this(limits.maxRetainedMessages(), limits.maxRetainedBytes(), stats);
  }

  private RetainedStore(long maxMessages, long maxBytes, BrokerStats stats) {
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
    this.stats = stats;
  }

  /** Stores, replaces or (for an empty payload) clears the message of {@code topic}. */
  public boolean put(String topic, QoS qos, ByteBuf payload) {
    return put(Message.of(topic, payload, qos, true));
  }

  /**
   * Stores, replaces or (for an empty payload) clears the retained message of the message's topic,
   * keeping its properties and expiry. The payload is copied; the caller keeps its reference.
   *
   * @return false if the message was refused by the limits (counted; the topic then has no retained
   *     message), true if it was stored or cleared
   */
  public boolean put(Message m) {
    String[] levels = Topics.split(m.topic());
    ByteBuf payload = m.payload();
    writeLock.lock();
    try {
      if (!payload.isReadable()) {
        clear(levels);
        return true;
      }
      Node existing = find(levels);
      Message old = existing == null ? null : existing.message;
      long weight = MessageSize.of(m);
      if (isLimited(m.topic()) && !fits(old, weight)) {
        stats.retainedRefused.increment();
        if (old != null) {
          clear(levels); // 3.1.1 [MQTT-3.3.1-7]: none rather than an outdated one
        }
        return false;
      }
      byte[] copy = new byte[payload.readableBytes()];
      payload.getBytes(payload.readerIndex(), copy);
      Node node = root;
      for (String level : levels) {
        node = node.children.computeIfAbsent(level, l -> new Node());
      }
      Message stored = m.withPayload(Unpooled.wrappedBuffer(copy).asReadOnly());
      account(old, -1);
      account(stored, 1);
      node.message = stored;
      return true;
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Whether a retained message of {@code weight} bytes ({@link MessageSize}) on {@code topic} would
   * be stored now: what a publisher can be told before its message is routed (5.0 PUBACK or PUBREC
   * 0x97). Read without the lock, so a concurrent update may change the answer; {@link #put} holds
   * the limits either way.
   */
  public boolean admits(String topic, long weight) {
    if (!isLimited(topic)) {
      return true;
    }
    Node existing = find(Topics.split(topic));
    return fits(existing == null ? null : existing.message, weight);
  }

  private static boolean isLimited(String topic) {
    return !topic.startsWith("$");
  }

  /**
   * Whether replacing {@code old} (or null) by a message of {@code weight} bytes stays in bounds.
   */
  private boolean fits(Message old, long weight) {
    long count = limitedCount.get() + (old == null ? 1 : 0);
    long total = limitedBytes.get() + weight - (old == null ? 0 : MessageSize.of(old));
    return count <= maxMessages && total <= maxBytes;
  }

  /** Adds ({@code sign} 1) or removes (-1) a stored message from the totals; under the lock. */
  private void account(Message m, int sign) {
    if (m == null) {
      return;
    }
    long weight = MessageSize.of(m);
    size.addAndGet(sign);
    bytes.addAndGet(sign * weight);
    if (isLimited(m.topic())) {
      limitedCount.addAndGet(sign);
      limitedBytes.addAndGet(sign * weight);
    }
  }

  private Node find(String[] levels) {
    Node node = root;
    for (String level : levels) {
      node = node.children.get(level);
      if (node == null) {
        return null;
      }
    }
    return node;
  }

  private void clear(String[] levels) {
    List<Node> path = new ArrayList<>(levels.length + 1);
    Node node = root;
    path.add(node);
    for (String level : levels) {
      node = node.children.get(level);
      if (node == null) {
        return;
      }
      path.add(node);
    }
    if (node.message != null) {
      account(node.message, -1);
      node.message = null;
    }
    for (int i = levels.length; i > 0; i--) {
      Node n = path.get(i);
      if (n.message != null || !n.children.isEmpty()) {
        break;
      }
      path.get(i - 1).children.remove(levels[i - 1], n);
    }
  }

  /**
   * Calls {@code sink} for every retained message whose topic matches {@code filter}, skipping
   * messages whose expiry interval has passed [MQTT-3.3.2-5].
   */
  public void match(String filter, Consumer<Message> sink) {
    long now = System.nanoTime();
    match(
        Topics.split(filter),
        m -> {
          if (!m.isExpired(now)) {
            sink.accept(m);
          } else {
            removeExpired(m);
          }
        });
  }

  /** Drops a retained message whose expiry passed, unless a newer one replaced it meanwhile. */
  private void removeExpired(Message m) {
    String[] levels = Topics.split(m.topic());
    writeLock.lock();
    try {
      Node node = find(levels);
      if (node != null && node.message == m) {
        clear(levels);
      }
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * The walk of a filter over the tree, level by level: a loop over the branches still to visit
   * (one per child for {@code +}), never a recursion.
   */
  private void match(String[] filter, Consumer<Message> sink) {
    ArrayDeque<Step> steps = new ArrayDeque<>();
    steps.push(new Step(root, 0));
    while (!steps.isEmpty()) {
      Step step = steps.pop();
      Node node = step.node();
      int depth = step.depth();
      if (depth == filter.length) {
        Message r = node.message;
        if (r != null) {
          sink.accept(r);
        }
        continue;
      }
      String level = filter[depth];
      if (level.equals("#")) {
        // '#' matches the parent level too [MQTT-4.7.1-2].
        Message r = node.message;
        if (r != null && depth > 0) {
          sink.accept(r);
        }
        for (Map.Entry<String, Node> e : node.children.entrySet()) {
          if (depth > 0 || !e.getKey().startsWith("$")) {
            all(e.getValue(), sink);
          }
        }
      } else if (level.equals("+")) {
        for (Map.Entry<String, Node> e : node.children.entrySet()) {
          if (depth > 0 || !e.getKey().startsWith("$")) {
            steps.push(new Step(e.getValue(), depth + 1));
          }
        }
      } else {
        Node child = node.children.get(level);
        if (child != null) {
          steps.push(new Step(child, depth + 1));
        }
      }
    }
  }

  /** Every message in the subtree under {@code top}, {@code top}'s own included. */
  private static void all(Node top, Consumer<Message> sink) {
    ArrayDeque<Node> nodes = new ArrayDeque<>();
    nodes.push(top);
    while (!nodes.isEmpty()) {
      Node node = nodes.pop();
      Message r = node.message;
      if (r != null) {
        sink.accept(r);
      }
      for (Node child : node.children.values()) {
        nodes.push(child);
      }
    }
  }

  /** The number of retained messages. */
  public int size() {
    return size.get();
  }

  /** The bytes the retained messages count for ({@link MessageSize}), {@code $} topics included. */
  public long bytes() {
    return bytes.get();
  }
}
