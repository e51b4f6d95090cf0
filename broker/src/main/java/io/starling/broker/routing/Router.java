package io.starling.broker.routing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import io.starling.broker.session.Backpressure;
import io.starling.broker.session.Session;
import io.starling.codec.QoS;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Routes application messages to matching subscriptions and keeps retained messages.
 *
 * <p>Each subscribing session gets a message once, at the highest QoS granted among its matching
 * subscriptions (3.1.1 section 3.3.5 allows once per subscription or once overall; Starling chooses
 * once). Deliveries collect in the calling thread's outbox, grouped by the event loop that owns
 * each session, until {@link #dispatch()}: then the calling loop serves its own sessions directly
 * and every other loop gets one batch, so a read batch of many PUBLISH packets costs each
 * destination loop one hand-off.
 *
 * <p>Established subscriptions get RETAIN 0 [MQTT-3.3.1-9].
 */
public final class Router {
  /** Deliveries collected beyond this many are dispatched at once, to bound latency. */
  private static final int MAX_UNDISPATCHED = 4096;

  private final TopicTree<Session> subscriptions = new TopicTree<>();
  private final RetainedStore retained = new RetainedStore();
  private final Map<EventLoop, Mailbox> mailboxes = new ConcurrentHashMap<>();
  private final FastThreadLocal<Outbox> outboxes =
      new FastThreadLocal<>() {
        @Override
        protected Outbox initialValue() {
          return new Outbox();
        }
      };

  public TopicTree<Session> subscriptions() {
    return subscriptions;
  }

  public RetainedStore retained() {
    return retained;
  }

  /**
   * Routes a message to its subscribers (delivered at the next {@link #dispatch()} on this thread),
   * and stores or clears it as the retained message of its topic if {@code retain} is set. Does not
   * take ownership of {@code payload}.
   *
   * @return the number of sessions it was routed to
   */
  public int publish(String topic, ByteBuf payload, QoS qos, boolean retain) {
    if (retain) {
      retained.put(topic, qos, payload);
    }
    Outbox box = outboxes.get();
    List<Session> matched = box.matched;
    List<QoS> granted = box.granted;
    subscriptions.match(
        topic,
        (session, q) -> {
          matched.add(session);
          granted.add(q);
        });
    int n = dedupe(matched, granted);
    for (int i = 0; i < n; i++) {
      Session s = matched.get(i);
      QoS out = QoS.min(qos, granted.get(i));
      box.add(s.owner(), new Delivery(s, topic, payload, out));
      if (out != QoS.AT_MOST_ONCE && box.congested == null && s.isCongested()) {
        box.congested = s;
      }
    }
    matched.clear();
    granted.clear();
    if (box.size >= MAX_UNDISPATCHED) {
      dispatch();
    }
    return n;
  }

  /**
   * Keeps one entry per session, with the highest QoS among its entries; returns the count. A
   * session rarely has overlapping subscriptions, so small lists are scanned in place.
   */
  private static int dedupe(List<Session> sessions, List<QoS> qos) {
    int n = sessions.size();
    if (n < 2) {
      return n;
    }
    Map<Session, Integer> firstIndex = n > 16 ? new IdentityHashMap<>(n * 2) : null;
    int kept = 0;
    for (int i = 0; i < n; i++) {
      Session s = sessions.get(i);
      int seen = -1;
      if (firstIndex != null) {
        Integer at = firstIndex.putIfAbsent(s, kept);
        seen = at == null ? -1 : at;
      } else {
        for (int j = 0; j < kept; j++) {
          if (sessions.get(j) == s) {
            seen = j;
            break;
          }
        }
      }
      if (seen < 0) {
        sessions.set(kept, s);
        qos.set(kept, qos.get(i));
        kept++;
      } else if (qos.get(i).ordinal() > qos.get(seen).ordinal()) {
        qos.set(seen, qos.get(i));
      }
    }
    return kept;
  }

  /**
   * Delivers everything this thread routed since the last call: its own loop's sessions now, other
   * loops through their mailboxes.
   *
   * @return a mailbox or subscriber that is now congested (the publisher should pause reading until
   *     {@link Backpressure#whenDrained}), or {@code null}
   */
  public Backpressure dispatch() {
    Outbox box = outboxes.get();
    Backpressure congested = box.congested;
    box.congested = null;
    if (box.size == 0) {
      return congested;
    }
    for (int i = 0; i < box.loops.size(); i++) {
      EventLoop loop = box.loops.get(i);
      List<Delivery> batch = box.batches.remove(loop);
      if (loop.inEventLoop()) {
        Mailbox.deliver(batch, box.touched);
        Mailbox.flush(box.touched);
      } else {
        Mailbox m = mailboxes.computeIfAbsent(loop, Mailbox::new);
        m.post(batch);
        if (m.isCongested()) {
          congested = m;
        }
      }
    }
    box.loops.clear();
    box.size = 0;
    return congested;
  }

  /** One thread's deliveries not yet dispatched, by destination loop. */
  private static final class Outbox {
    final Map<EventLoop, List<Delivery>> batches = new IdentityHashMap<>();
    final List<EventLoop> loops = new ArrayList<>();
    final List<Session> matched = new ArrayList<>();
    final List<QoS> granted = new ArrayList<>();
    final List<Session> touched = new ArrayList<>();

    /** A subscriber routed a QoS 1/2 message to while its queue was over its high-water mark. */
    Backpressure congested;

    int size;

    void add(EventLoop loop, Delivery d) {
      List<Delivery> batch = batches.get(loop);
      if (batch == null) {
        batch = new ArrayList<>();
        batches.put(loop, batch);
        loops.add(loop);
      }
      // One payload reference per run of deliveries of one message in one batch.
      if (batch.isEmpty() || batch.get(batch.size() - 1).payload() != d.payload()) {
        d.payload().retain();
      }
      batch.add(d);
      size++;
    }
  }
}
