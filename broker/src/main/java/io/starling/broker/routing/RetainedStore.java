package io.starling.broker.routing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.starling.broker.model.Message;
import io.starling.broker.threading.AnyThread;
import io.starling.codec.QoS;
import io.starling.codec.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Retained messages, one per topic [MQTT-3.3.1-5]: a new one replaces the old, an empty payload
 * clears it [MQTT-3.3.1-10] [MQTT-3.3.1-11]. They are kept in a tree of topic levels, so that a new
 * subscription's filter is matched by walking only the branches it can reach: an exact filter is
 * one path, {@code +} visits the children of one level, {@code #} a subtree. Filters starting with
 * a wildcard skip topics starting with {@code $} [MQTT-4.7.2-1].
 *
 * <p>Payloads are copied into their own heap buffers so a retained message never pins a
 * connection's read buffer. Lookups take no lock; updates are serialised by one short lock so that
 * emptied branches can be pruned. Thread-safe.
 */
@AnyThread
public final class RetainedStore {
  private static final class Node {
    final Map<String, Node> children = new ConcurrentHashMap<>(4);
    volatile Message message;
  }

  private final Node root = new Node();
  private final ReentrantLock writeLock = new ReentrantLock();
  private final AtomicInteger size = new AtomicInteger();

  /** Stores, replaces or (for an empty payload) clears the message of {@code topic}. */
  public void put(String topic, QoS qos, ByteBuf payload) {
    put(Message.of(topic, payload, qos, true));
  }

  /**
   * Stores, replaces or (for an empty payload) clears the retained message of the message's topic,
   * keeping its properties and expiry. The payload is copied; the caller keeps its reference.
   */
  public void put(Message m) {
    String[] levels = Topics.split(m.topic());
    ByteBuf payload = m.payload();
    writeLock.lock();
    try {
      if (!payload.isReadable()) {
        clear(levels);
        return;
      }
      byte[] copy = new byte[payload.readableBytes()];
      payload.getBytes(payload.readerIndex(), copy);
      Node node = root;
      for (String level : levels) {
        node = node.children.computeIfAbsent(level, l -> new Node());
      }
      if (node.message == null) {
        size.incrementAndGet();
      }
      node.message = m.withPayload(Unpooled.wrappedBuffer(copy).asReadOnly());
    } finally {
      writeLock.unlock();
    }
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
      node.message = null;
      size.decrementAndGet();
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
        root,
        Topics.split(filter),
        0,
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
      Node node = root;
      for (String level : levels) {
        node = node.children.get(level);
        if (node == null) {
          return;
        }
      }
      if (node.message == m) {
        clear(levels);
      }
    } finally {
      writeLock.unlock();
    }
  }

  private static void match(Node node, String[] filter, int depth, Consumer<Message> sink) {
    if (depth == filter.length) {
      Message r = node.message;
      if (r != null) {
        sink.accept(r);
      }
      return;
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
          match(e.getValue(), filter, depth + 1, sink);
        }
      }
    } else {
      Node child = node.children.get(level);
      if (child != null) {
        match(child, filter, depth + 1, sink);
      }
    }
  }

  private static void all(Node node, Consumer<Message> sink) {
    Message r = node.message;
    if (r != null) {
      sink.accept(r);
    }
    for (Node child : node.children.values()) {
      all(child, sink);
    }
  }

  /** The number of retained messages. */
  public int size() {
    return size.get();
  }
}
