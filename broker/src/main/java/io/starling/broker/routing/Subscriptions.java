package io.starling.broker.routing;

import io.starling.broker.session.Session;
import io.starling.broker.sys.BrokerStats;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Subscription;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps three records of subscriptions in step: the shared {@link TopicTree}, each session's own
 * map (what a persistent session restores and a clean one forgets), and the {@code $SYS} count.
 * Every method runs on the session's owner loop.
 */
public final class Subscriptions {
  private final Router router;
  private final BrokerStats stats;
  private final int maxTopicLevels;

  public Subscriptions(Router router, BrokerStats stats, int maxTopicLevels) {
    this.router = router;
    this.stats = stats;
    this.maxTopicLevels = maxTopicLevels;
  }

  /**
   * Subscribes {@code session} to each filter and returns one SUBACK code per filter, in order
   * [MQTT-3.8.4-6]: the granted QoS, or 0x80 for a filter deeper than the topic-level limit
   * [MQTT-3.9.3-2]. The same filter again replaces the old subscription [MQTT-3.8.4-3].
   */
  public List<ReasonCode> subscribe(Session session, List<Subscription> requested) {
    List<ReasonCode> codes = new ArrayList<>(requested.size());
    for (Subscription s : requested) {
      if (Levels.count(s.filter()) > maxTopicLevels) {
        codes.add(ReasonCode.UNSPECIFIED_ERROR);
        continue;
      }
      QoS qos = s.maxQos();
      if (!router.subscriptions().subscribe(s.filter(), session, qos)) {
        stats.subscriptions.incrementAndGet();
      }
      session.subscriptions().put(s.filter(), qos);
      codes.add(
          switch (qos) {
            case AT_MOST_ONCE -> ReasonCode.SUCCESS;
            case AT_LEAST_ONCE -> ReasonCode.GRANTED_QOS_1;
            case EXACTLY_ONCE -> ReasonCode.GRANTED_QOS_2;
          });
    }
    return codes;
  }

  /**
   * Sends the retained messages matching the granted subscriptions, with RETAIN 1 [MQTT-3.3.1-6]
   * [MQTT-3.3.1-8]. Call after the SUBACK is written.
   */
  public void sendRetained(
      Session session, List<Subscription> requested, List<ReasonCode> granted) {
    for (int i = 0; i < requested.size(); i++) {
      if (granted.get(i).isError()) {
        continue;
      }
      QoS max = requested.get(i).maxQos();
      router
          .retained()
          .match(
              requested.get(i).filter(),
              r -> session.deliver(r.topic(), r.payload(), QoS.min(r.qos(), max), true));
    }
  }

  /** Removes the session's subscriptions to these filters; unknown filters are ignored. */
  public void unsubscribe(Session session, List<String> filters) {
    if (!session.hasSubscriptions()) {
      return;
    }
    for (String filter : filters) {
      if (session.subscriptions().remove(filter) != null) {
        router.subscriptions().unsubscribe(filter, session);
        stats.subscriptions.decrementAndGet();
      }
    }
  }

  /** Removes every subscription of the session (clean session, end of session). */
  public void unsubscribeAll(Session session) {
    if (!session.hasSubscriptions()) {
      return;
    }
    unsubscribe(session, List.copyOf(session.subscriptions().keySet()));
  }
}
