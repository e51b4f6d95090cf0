package io.starling.broker.routing;

import io.starling.broker.threading.AnyThread;
import io.starling.codec.Topics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;

/**
 * The subscription index: topic filters split into levels, one node per level, {@code +} and {@code
 * #} handled by walking. Lookups take no lock and may run on any thread at the same time as
 * updates; updates are serialised by one short lock so that empty nodes can be pruned safely.
 *
 * <p>Rules: {@code +} matches exactly one level, {@code #} matches the level it stands at and
 * everything below, including the parent level itself ({@code a/#} matches {@code a})
 * [MQTT-4.7.1-2]; a filter starting with a wildcard does not match a topic starting with {@code $}
 * [MQTT-4.7.2-1].
 *
 * @param <S> the subscriber; compared by identity through its {@code equals}
 * @param <O> the options of a subscription
 */
@AnyThread
public final class TopicTree<S, O> {
  private final Node<S, O> root = new Node<>();
  private final ReentrantLock writeLock = new ReentrantLock();

  /**
   * One level. Its maps are changed under the write lock and read without it: null while empty, an
   * immutable map of up to {@value #SMALL} entries replaced whole on each change (copy on write),
   * and a concurrent map changed in place beyond that. A lock-free reader sees the map before or
   * after a change, never half of one. Most nodes of a fleet's tree hold one entry in one of the
   * two (a device's own topic is a leaf with one subscriber, the levels above it have no
   * subscribers): an immutable map of one entry is 24 bytes, a concurrent one with its table and
   * node 128.
   */
  private static final class Node<S, O> {
    volatile Map<String, Node<S, O>> children;
    volatile Map<S, O> subscribers;

    Node<S, O> child(String level) {
      Map<String, Node<S, O>> c = children;
      return c == null ? null : c.get(level);
    }

    /** The child for {@code level}, made if missing; under the write lock. */
    Node<S, O> childForUpdate(String level) {
      Node<S, O> n = child(level);
      if (n == null) {
        n = new Node<>();
        children = with(children, level, n);
      }
      return n;
    }

    /** Removes the child for {@code level} if it is {@code child}; under the write lock. */
    void removeChild(String level, Node<S, O> child) {
      if (child(level) == child) {
        children = without(children, level);
      }
    }

    /** Adds or replaces a subscriber; returns the options it replaced. Under the write lock. */
    O putSubscriber(S subscriber, O options) {
      Map<S, O> m = subscribers;
      O old = m == null ? null : m.get(subscriber);
      subscribers = with(m, subscriber, options);
      return old;
    }

    /** Removes a subscriber; returns whether it was there. Under the write lock. */
    boolean removeSubscriber(S subscriber) {
      Map<S, O> m = subscribers;
      if (m == null || !m.containsKey(subscriber)) {
        return false;
      }
      subscribers = without(m, subscriber);
      return true;
    }

    void forEachSubscriber(BiConsumer<S, O> sink) {
      Map<S, O> m = subscribers;
      if (m != null) {
        m.forEach(sink);
      }
    }

    boolean isEmpty() {
      return children == null && subscribers == null;
    }
  }

  /** Entries up to which a node's map is immutable and copied on change. */
  static final int SMALL = 8;

  /** {@code m} with {@code key} set to {@code value}: the map to publish (under the write lock). */
  private static <K, V> Map<K, V> with(Map<K, V> m, K key, V value) {
    if (m == null) {
      return Map.of(key, value);
    }
    if (m instanceof ConcurrentHashMap) {
      m.put(key, value);
      return m;
    }
    if (m.size() >= SMALL && !m.containsKey(key)) {
      Map<K, V> big = new ConcurrentHashMap<>(m);
      big.put(key, value);
      return big;
    }
    Map<K, V> copy = new HashMap<>(m);
    copy.put(key, value);
    return Map.copyOf(copy);
  }

  /** {@code m} without {@code key}: the map to publish, null once empty (under the write lock). */
  private static <K, V> Map<K, V> without(Map<K, V> m, K key) {
    if (m instanceof ConcurrentHashMap) {
      m.remove(key);
      return m.isEmpty() ? null : m;
    }
    Map<K, V> copy = new HashMap<>(m);
    copy.remove(key);
    return copy.isEmpty() ? null : Map.copyOf(copy);
  }

  /**
   * Adds or replaces a subscription.
   *
   * @return true if this subscriber already had this filter (it is replaced)
   */
  public boolean subscribe(String filter, S subscriber, O options) {
    writeLock.lock();
    try {
      Node<S, O> node = root;
      for (String level : Topics.split(filter)) {
        node = node.childForUpdate(level);
      }
      return node.putSubscriber(subscriber, options) != null;
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Removes a subscription.
   *
   * @return true if it existed
   */
  public boolean unsubscribe(String filter, S subscriber) {
    writeLock.lock();
    try {
      Node<S, O> node = root;
      String[] levels = Topics.split(filter);
      List<Node<S, O>> path = new ArrayList<>(levels.length + 1);
      path.add(root);
      for (int i = 0; i < levels.length; i++) {
        node = node.child(levels[i]);
        if (node == null) {
          return false;
        }
        path.add(node);
      }
      boolean removed = node.removeSubscriber(subscriber);
      // Prune nodes left empty, deepest first.
      for (int i = levels.length; i > 0 && path.get(i).isEmpty(); i--) {
        path.get(i - 1).removeChild(levels[i - 1], path.get(i));
      }
      return removed;
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Calls {@code sink} once per (subscriber, filter) pair whose filter matches {@code topic}.
   *
   * <p>The walk is a loop, not a recursion: it follows one branch (the exact level) and keeps the
   * other ({@code +}) on an explicit stack, made only when a level has both, so no topic, however
   * deep, decides the depth of the thread's stack (issue #15).
   */
  public void match(String topic, BiConsumer<S, O> sink) {
    String[] levels = Topics.split(topic);
    boolean dollar = topic.startsWith("$");
    Pending<S, O> pending = null;
    Node<S, O> node = root;
    int depth = 0;
    while (true) {
      // A filter starting with a wildcard does not match a topic starting with $ [MQTT-4.7.2-1].
      boolean wildcardAllowed = !(dollar && depth == 0);
      if (wildcardAllowed) {
        Node<S, O> hash = node.child("#");
        if (hash != null) {
          hash.forEachSubscriber(sink); // '#' matches the parent level too [MQTT-4.7.1-2]
        }
      }
      Node<S, O> next = null;
      if (depth == levels.length) {
        node.forEachSubscriber(sink);
      } else {
        Node<S, O> exact = node.child(levels[depth]);
        Node<S, O> plus = wildcardAllowed ? node.child("+") : null;
        if (exact != null && plus != null) {
          pending = pending == null ? new Pending<>() : pending;
          pending.push(plus, depth + 1);
        }
        next = exact != null ? exact : plus;
      }
      if (next != null) {
        node = next;
        depth++;
      } else if (pending != null && !pending.isEmpty()) {
        depth = pending.topDepth();
        node = pending.pop();
      } else {
        return;
      }
    }
  }

  /** The branches a {@link #match} still has to walk: a stack of (node, depth), on the heap. */
  private static final class Pending<S, O> {
    private Object[] nodes = new Object[8];
    private int[] depths = new int[8];
    private int size;

    void push(Node<S, O> node, int depth) {
      if (size == nodes.length) {
        nodes = Arrays.copyOf(nodes, size * 2);
        depths = Arrays.copyOf(depths, size * 2);
      }
      nodes[size] = node;
      depths[size++] = depth;
    }

    boolean isEmpty() {
      return size == 0;
    }

    int topDepth() {
      return depths[size - 1];
    }

    @SuppressWarnings("unchecked")
    Node<S, O> pop() {
      Node<S, O> n = (Node<S, O>) nodes[--size];
      nodes[size] = null;
      return n;
    }
  }

  /** Whether nothing is subscribed (for tests). */
  public boolean isEmpty() {
    return root.isEmpty();
  }
}
