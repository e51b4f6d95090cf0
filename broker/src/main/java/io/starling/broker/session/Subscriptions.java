package io.starling.broker.session;

import io.netty.buffer.ByteBufUtil;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.SubOptions;
import io.starling.broker.routing.Delivery;
import io.starling.broker.routing.Router;
import io.starling.broker.routing.SharedGroup;
import io.starling.broker.routing.TopicTree;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.Topics;
import io.starling.codec.packet.RetainHandling;
import io.starling.codec.packet.Subscription;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps three records of subscriptions in step: the shared {@link TopicTree} (or the {@link
 * SharedGroup} of a {@code $share/{name}/{filter}} subscription), each session's own map (what a
 * persistent session restores and a clean one forgets), and the {@code $SYS} count. It also holds
 * each session to {@code limits.max_subscription_bytes}: the UTF-8 bytes of all its filters, as the
 * client sent them ({@code $share/} prefix included), so that one client cannot make the index hold
 * 10,000 filters of 64 KiB each. Every method runs on the session's owner loop.
 */
@EventLoopOnly
public final class Subscriptions {
  private static final String SHARE_PREFIX = "$share/";

  private final Router router;
  private final BrokerStats stats;
  private final int maxTopicLevels;
  private final QoS maximumQos;
  private final long maxSubscriptionBytes;

  /** Subscriptions with the default {@code limits.max_subscription_bytes}. */
  public Subscriptions(Router router, BrokerStats stats, int maxTopicLevels, QoS maximumQos) {
    this(router, stats, maxTopicLevels, maximumQos, Limits.DEFAULT.maxSubscriptionBytes());
  }

  /**
   * @param maxSubscriptionBytes the most UTF-8 bytes of topic filters one session may hold
   */
  public Subscriptions(
      Router router,
      BrokerStats stats,
      int maxTopicLevels,
      QoS maximumQos,
      long maxSubscriptionBytes) {
    this.router = router;
    this.stats = stats;
    this.maxTopicLevels = maxTopicLevels;
    this.maximumQos = maximumQos;
    this.maxSubscriptionBytes = maxSubscriptionBytes;
  }

  /** A {@code $share/{shareName}/{filter}} subscription taken apart. */
  private record Shared(String shareName, String filter) {
    /** The parts of a shared subscription's filter, or {@code null} for an ordinary filter. */
    static Shared parse(String filter) {
      if (!filter.startsWith(SHARE_PREFIX)) {
        return null;
      }
      int slash = filter.indexOf('/', SHARE_PREFIX.length());
      if (slash <= SHARE_PREFIX.length() || slash == filter.length() - 1) {
        return null; // not a well-formed shared subscription: an ordinary filter (3.1.1)
      }
      String name = filter.substring(SHARE_PREFIX.length(), slash);
      if (name.contains("+") || name.contains("#")) {
        return null;
      }
      return new Shared(name, filter.substring(slash + 1));
    }
  }

  /**
   * Subscribes {@code session} to each filter and returns one SUBACK code per filter, in order
   * [MQTT-3.8.4-6]: the granted QoS (at most the broker's maximum QoS), 0x80 for a filter deeper
   * than the topic-level limit, or 0x97 (quota exceeded; 3.1.1 has only 0x80, which the encoder
   * writes for any failure [MQTT-3.9.3-2]) for a new filter that would take the session's filters
   * over {@code limits.max_subscription_bytes}. The same filter again replaces the old subscription
   * [MQTT-3.8.4-3] and costs nothing more; {@code existed} is set for those.
   *
   * @param subscriptionId the SUBSCRIBE's subscription identifier, 0 for none
   * @param existed one flag per filter, set when the session had that subscription already
   */
  public List<ReasonCode> subscribe(
      Session session, List<Subscription> requested, int subscriptionId, boolean[] existed) {
    List<ReasonCode> codes = new ArrayList<>(requested.size());
    for (int i = 0; i < requested.size(); i++) {
      Subscription s = requested.get(i);
      Shared shared = Shared.parse(s.filter());
      String treeFilter = shared == null ? s.filter() : shared.filter();
      if (Topics.count(treeFilter) > maxTopicLevels) {
        codes.add(ReasonCode.UNSPECIFIED_ERROR);
        continue;
      }
      boolean held = session.hasSubscriptions() && session.subscriptions().containsKey(s.filter());
      long filterBytes = held ? 0 : ByteBufUtil.utf8Bytes(s.filter());
      if (session.subscriptionBytes() + filterBytes > maxSubscriptionBytes) {
        stats.subscriptionBytesRefused.increment();
        codes.add(ReasonCode.QUOTA_EXCEEDED);
        continue;
      }
      QoS qos = QoS.min(s.maxQos(), maximumQos);
      SubOptions options = SubOptions.of(qos, s.noLocal(), s.retainAsPublished(), subscriptionId);
      boolean had =
          shared == null
              ? router.subscriptions().subscribe(treeFilter, session, options)
              : router.joinShared(shared.shareName(), treeFilter, session, options);
      if (!had) {
        stats.subscriptions.incrementAndGet();
      }
      existed[i] = had;
      session.addSubscriptionBytes(filterBytes);
      session.subscriptions().put(s.filter(), options);
      session.storage().recordSubscribe(s.filter(), options);
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
   * [MQTT-3.3.1-8], as each subscription's retain handling asks [MQTT-3.3.1-9] [MQTT-3.3.1-10]
   * [MQTT-3.3.1-11]; never to a shared subscription (section 4.8.2). Call after the SUBACK is
   * written.
   */
  public void sendRetained(
      Session session,
      List<Subscription> requested,
      List<ReasonCode> granted,
      int subscriptionId,
      boolean[] existed) {
    int[] ids = subscriptionId == 0 ? null : new int[] {subscriptionId};
    for (int i = 0; i < requested.size(); i++) {
      Subscription s = requested.get(i);
      if (granted.get(i).isError()
          || Shared.parse(s.filter()) != null
          || s.retainHandling() == RetainHandling.DO_NOT_SEND
          || (s.retainHandling() == RetainHandling.SEND_IF_NEW_SUBSCRIPTION && existed[i])) {
        continue;
      }
      QoS max = QoS.of(granted.get(i).value());
      router
          .retained()
          .match(
              s.filter(),
              r ->
                  session.deliver(Delivery.of(session, r, QoS.min(r.qos(), max), true, ids, null)));
    }
  }

  /**
   * Removes the session's subscriptions to these filters; unknown filters are ignored.
   *
   * @return one flag per filter: whether the subscription existed
   */
  public boolean[] unsubscribe(Session session, List<String> filters) {
    boolean[] existed = new boolean[filters.size()];
    if (!session.hasSubscriptions()) {
      return existed;
    }
    for (int i = 0; i < filters.size(); i++) {
      String filter = filters.get(i);
      if (session.subscriptions().remove(filter) == null) {
        continue;
      }
      existed[i] = true;
      session.addSubscriptionBytes(-ByteBufUtil.utf8Bytes(filter));
      session.storage().recordUnsubscribe(filter);
      Shared shared = Shared.parse(filter);
      if (shared == null) {
        router.subscriptions().unsubscribe(filter, session);
      } else {
        router.leaveShared(shared.shareName(), shared.filter(), session);
      }
      stats.subscriptions.decrementAndGet();
    }
    return existed;
  }

  /**
   * Puts a subscription found in the store back, at start-up: into the topic tree (or its shared
   * group), the session's map and the count, without writing it to the store again. It counts
   * against the session's filter bytes but is never refused: it was granted once.
   */
  public void restore(Session session, String filter, SubOptions options) {
    Shared shared = Shared.parse(filter);
    boolean had =
        shared == null
            ? router.subscriptions().subscribe(filter, session, options)
            : router.joinShared(shared.shareName(), shared.filter(), session, options);
    if (!had) {
      stats.subscriptions.incrementAndGet();
    }
    if (session.subscriptions().put(filter, options) == null) {
      session.addSubscriptionBytes(ByteBufUtil.utf8Bytes(filter));
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
