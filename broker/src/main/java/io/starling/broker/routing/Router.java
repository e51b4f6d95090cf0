package io.starling.broker.routing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.starling.broker.session.Session;
import io.starling.broker.sys.BrokerStats;
import io.starling.codec.QoS;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Routes application messages to matching subscriptions and keeps retained messages.
 *
 * <p>Each subscribing session gets the message once, at the highest QoS granted among its matching
 * subscriptions (3.1.1 section 3.3.5 allows delivering once per matching subscription or once
 * overall; Starling chooses once). Sessions are grouped by the event loop that owns them, and each
 * loop gets one task for all of its sessions; sessions owned by the calling loop are served
 * directly.
 */
public final class Router {
  private final TopicTree<Session> subscriptions = new TopicTree<>();
  private final RetainedStore retained = new RetainedStore();
  private final BrokerStats stats;

  public Router(BrokerStats stats) {
    this.stats = stats;
  }

  public TopicTree<Session> subscriptions() {
    return subscriptions;
  }

  public RetainedStore retained() {
    return retained;
  }

  /**
   * Publishes a message to its subscribers, and stores or clears it as the retained message of its
   * topic if {@code retain} is set. Does not take ownership of {@code payload}.
   *
   * @return the number of sessions it was routed to
   */
  public int publish(String topic, ByteBuf payload, QoS qos, boolean retain) {
    if (retain) {
      retained.put(topic, qos, payload);
    }
    Map<Session, QoS> matches = new IdentityHashMap<>();
    subscriptions.match(topic, (session, granted) -> matches.merge(session, granted, Router::max));
    if (matches.isEmpty()) {
      return 0;
    }
    Map<EventLoop, List<Delivery>> byLoop = new HashMap<>();
    for (Map.Entry<Session, QoS> e : matches.entrySet()) {
      QoS out = QoS.min(qos, e.getValue());
      Session session = e.getKey();
      EventLoop loop = session.owner();
      if (loop.inEventLoop()) {
        deliverNow(session, topic, payload, out);
      } else {
        byLoop.computeIfAbsent(loop, l -> new ArrayList<>()).add(new Delivery(session, out));
      }
    }
    for (Map.Entry<EventLoop, List<Delivery>> e : byLoop.entrySet()) {
      List<Delivery> deliveries = e.getValue();
      ByteBuf shared = payload.retainedDuplicate();
      e.getKey()
          .execute(
              () -> {
                try {
                  for (Delivery d : deliveries) {
                    if (d.session.owner().inEventLoop()) {
                      deliverNow(d.session, topic, shared, d.qos);
                    } else {
                      // The session moved meanwhile: follow it.
                      ByteBuf again = shared.retainedDuplicate();
                      d.session.execute(
                          () -> {
                            try {
                              deliverNow(d.session, topic, again, d.qos);
                            } finally {
                              again.release();
                            }
                          });
                    }
                  }
                } finally {
                  shared.release();
                }
              });
    }
    return matches.size();
  }

  /** On the session's owner. Established subscriptions get RETAIN 0 [MQTT-3.3.1-9]. */
  private static void deliverNow(Session session, String topic, ByteBuf payload, QoS qos) {
    session.deliver(topic, payload, qos, false);
    if (session.connection() != null) {
      // Cheap: FlushConsolidationHandler turns a burst of flushes into one.
      session.connection().flush();
    }
  }

  private static QoS max(QoS a, QoS b) {
    return a.ordinal() >= b.ordinal() ? a : b;
  }

  private record Delivery(Session session, QoS qos) {}
}
