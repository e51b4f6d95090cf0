package io.starling.broker.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.Message;
import io.starling.broker.routing.Router;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.RetainHandling;
import io.starling.codec.packet.Subscription;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** MQTT 5.0 subscription options, identifiers and shared subscriptions, through the router. */
@Timeout(30)
class SubscriptionsTest {
  private final EventLoop loop = new DefaultEventLoop();
  private final Router router = new Router();
  private final BrokerStats stats = new BrokerStats();
  private final Subscriptions subs = new Subscriptions(router, stats, 128, QoS.EXACTLY_ONCE);

  /** What a 5.0 subscriber got: topic, payload, RETAIN flag and subscription identifiers. */
  record Got(String topic, String payload, boolean retain, List<Integer> ids) {}

  static final class V5Recorder implements SessionConnection {
    final EventLoop loop;
    final List<Got> got = new ArrayList<>();

    V5Recorder(EventLoop loop) {
      this.loop = loop;
    }

    @Override
    public void onSessionReady(Session session, boolean present) {}

    @Override
    public EventLoop eventLoop() {
      return loop;
    }

    @Override
    public void write(MqttPacket packet) {
      if (packet instanceof Publish p) {
        got.add(
            new Got(
                p.topic(),
                p.payload().toString(StandardCharsets.UTF_8),
                p.retained(),
                p.properties().intValues(PropertyId.SUBSCRIPTION_IDENTIFIER)));
      }
      ReferenceCountUtil.release(packet);
    }

    @Override
    public void flush() {}

    @Override
    public boolean isWritable() {
      return true;
    }

    @Override
    public void closeForTakeover() {}

    @Override
    public MqttVersion version() {
      return MqttVersion.V5;
    }
  }

  @AfterEach
  void stop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return loop.submit(task).get(10, TimeUnit.SECONDS);
  }

  private Session connected(String id, V5Recorder r) throws Exception {
    Session s = new Session(id, loop, BrokerConfig.Limits.DEFAULT, stats);
    onLoop(
        () -> {
          s.attach(r, false);
          return null;
        });
    return s;
  }

  private List<ReasonCode> subscribe(Session s, int id, Subscription... filters) throws Exception {
    return onLoop(
        () -> {
          List<Subscription> list = List.of(filters);
          boolean[] existed = new boolean[list.size()];
          List<ReasonCode> codes = subs.subscribe(s, list, id, existed);
          subs.sendRetained(s, list, codes, id, existed);
          return codes;
        });
  }

  private int publish(String topic, String payload, boolean retain, Session origin)
      throws Exception {
    return onLoop(
        () -> {
          var buf = Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8);
          Message m =
              new Message(
                  topic,
                  buf,
                  QoS.AT_MOST_ONCE,
                  retain,
                  io.starling.codec.packet.Properties.EMPTY,
                  0,
                  origin == null ? null : origin.clientId());
          int n = router.publish(m);
          router.dispatch();
          buf.release();
          return n;
        });
  }

  private static Subscription sub(String filter, boolean noLocal, boolean rap, RetainHandling rh) {
    return new Subscription(filter, QoS.AT_MOST_ONCE, noLocal, rap, rh);
  }

  @Test
  void oneCopyCarriesTheIdentifiersOfEveryMatchingSubscription() throws Exception {
    V5Recorder r = new V5Recorder(loop);
    Session s = connected("s", r);
    subscribe(s, 1, Subscription.of("a/+", QoS.AT_MOST_ONCE));
    subscribe(s, 2, Subscription.of("a/#", QoS.AT_MOST_ONCE));
    subscribe(s, 0, Subscription.of("#", QoS.AT_MOST_ONCE));
    publish("a/b", "x", false, null);
    // [MQTT-3.3.4-3] [MQTT-3.3.4-4]
    assertThat(r.got).hasSize(1);
    assertThat(r.got.get(0).ids()).containsExactlyInAnyOrder(1, 2);
  }

  @Test
  void noLocalKeepsASessionsOwnMessagesFromIt() throws Exception {
    V5Recorder r = new V5Recorder(loop);
    Session s = connected("s", r);
    subscribe(s, 0, sub("t", true, false, RetainHandling.SEND_ON_SUBSCRIBE));
    publish("t", "mine", false, s);
    publish("t", "theirs", false, null);
    assertThat(r.got).extracting(Got::payload).containsExactly("theirs"); // [MQTT-3.8.3-3]
  }

  @Test
  void retainAsPublishedKeepsTheFlagOtherwiseItIsCleared() throws Exception {
    V5Recorder keeps = new V5Recorder(loop);
    V5Recorder clears = new V5Recorder(loop);
    subscribe(connected("k", keeps), 0, sub("t", false, true, RetainHandling.DO_NOT_SEND));
    subscribe(connected("c", clears), 0, sub("t", false, false, RetainHandling.DO_NOT_SEND));
    publish("t", "r", true, null);
    assertThat(keeps.got).extracting(Got::retain).containsExactly(true); // [MQTT-3.3.1-13]
    assertThat(clears.got).extracting(Got::retain).containsExactly(false); // [MQTT-3.3.1-12]
  }

  @Test
  void retainHandlingDecidesWhenRetainedMessagesAreSent() throws Exception {
    publish("t", "kept", true, null);
    V5Recorder r = new V5Recorder(loop);
    Session s = connected("s", r);
    subscribe(s, 0, sub("t", false, false, RetainHandling.SEND_IF_NEW_SUBSCRIPTION));
    subscribe(s, 0, sub("t", false, false, RetainHandling.SEND_IF_NEW_SUBSCRIPTION));
    assertThat(r.got).hasSize(1); // [MQTT-3.3.1-10]
    subscribe(s, 0, sub("t", false, false, RetainHandling.SEND_ON_SUBSCRIBE));
    assertThat(r.got).hasSize(2);
    assertThat(r.got.get(1).retain()).isTrue();
    subscribe(s, 0, sub("t", false, false, RetainHandling.DO_NOT_SEND));
    assertThat(r.got).hasSize(2); // [MQTT-3.3.1-11]
  }

  @Test
  void aSharedSubscriptionGivesEachMessageToOneMemberInTurnAndNoRetained() throws Exception {
    publish("jobs/1", "old", true, null);
    V5Recorder a = new V5Recorder(loop);
    V5Recorder b = new V5Recorder(loop);
    V5Recorder plain = new V5Recorder(loop);
    subscribe(connected("a", a), 7, Subscription.of("$share/g/jobs/+", QoS.AT_MOST_ONCE));
    subscribe(connected("b", b), 0, Subscription.of("$share/g/jobs/+", QoS.AT_MOST_ONCE));
    subscribe(connected("p", plain), 0, Subscription.of("jobs/+", QoS.AT_MOST_ONCE));
    assertThat(a.got).isEmpty(); // no retained messages to shared subscriptions
    assertThat(plain.got).hasSize(1);
    for (int i = 0; i < 10; i++) {
      assertThat(publish("jobs/" + i, "m" + i, false, null)).isEqualTo(2);
    }
    assertThat(a.got.size() + b.got.size()).isEqualTo(10);
    assertThat(a.got).hasSize(5);
    assertThat(a.got).allSatisfy(g -> assertThat(g.ids()).containsExactly(7));
    assertThat(plain.got).hasSize(11);
  }

  @Test
  void unsubscribingReportsWhetherTheSubscriptionExisted() throws Exception {
    V5Recorder r = new V5Recorder(loop);
    Session s = connected("s", r);
    subscribe(s, 0, Subscription.of("$share/g/x", QoS.AT_MOST_ONCE));
    boolean[] existed = onLoop(() -> subs.unsubscribe(s, List.of("$share/g/x", "nope")));
    assertThat(existed).containsExactly(true, false);
    assertThat(router.sharedGroup("g", "x")).isNull();
    assertThat(stats.subscriptions.get()).isZero();
  }

  @Test
  void grantedQosIsCappedByTheBrokersMaximum() throws Exception {
    Subscriptions capped = new Subscriptions(router, stats, 128, QoS.AT_LEAST_ONCE);
    Session s = connected("s", new V5Recorder(loop));
    List<ReasonCode> codes =
        onLoop(
            () ->
                capped.subscribe(
                    s, List.of(Subscription.of("t", QoS.EXACTLY_ONCE)), 0, new boolean[1]));
    assertThat(codes).containsExactly(ReasonCode.GRANTED_QOS_1); // [MQTT-3.2.2-10]
  }

  @Test
  void aClientsFiltersAreHeldToTheirBytesAndUnsubscribingGivesThemBack() throws Exception {
    // 10 bytes for one client's filters: "aaaa" and "bbbb" fit (8), "cccc" would make 12.
    Subscriptions capped = new Subscriptions(router, stats, 128, QoS.EXACTLY_ONCE, 10);
    Session s = connected("s", new V5Recorder(loop));
    List<Subscription> three =
        List.of(
            Subscription.of("aaaa", QoS.AT_MOST_ONCE),
            Subscription.of("bbbb", QoS.AT_MOST_ONCE),
            Subscription.of("cccc", QoS.AT_MOST_ONCE));
    List<ReasonCode> codes = onLoop(() -> capped.subscribe(s, three, 0, new boolean[3]));
    assertThat(codes)
        .containsExactly(ReasonCode.SUCCESS, ReasonCode.SUCCESS, ReasonCode.QUOTA_EXCEEDED);
    assertThat(stats.subscriptionBytesRefused.sum()).isEqualTo(1);
    assertThat(s.subscriptions()).containsOnlyKeys("aaaa", "bbbb");
    // The same filter again replaces its subscription and costs nothing more.
    codes =
        onLoop(
            () ->
                capped.subscribe(
                    s, List.of(Subscription.of("aaaa", QoS.AT_LEAST_ONCE)), 0, new boolean[1]));
    assertThat(codes).containsExactly(ReasonCode.GRANTED_QOS_1);
    onLoop(() -> capped.unsubscribe(s, List.of("bbbb")));
    codes =
        onLoop(
            () ->
                capped.subscribe(
                    s, List.of(Subscription.of("cccc", QoS.AT_MOST_ONCE)), 0, new boolean[1]));
    assertThat(codes).containsExactly(ReasonCode.SUCCESS);
    // UTF-8 bytes, not characters: "\u00e9\u00e9" is 2 characters but 4 bytes, over the 2 left.
    codes =
        onLoop(
            () ->
                capped.subscribe(
                    s,
                    List.of(
                        Subscription.of("\u00e9\u00e9", QoS.AT_MOST_ONCE),
                        Subscription.of("\u00e9", QoS.AT_MOST_ONCE)),
                    0,
                    new boolean[2]));
    assertThat(codes).containsExactly(ReasonCode.QUOTA_EXCEEDED, ReasonCode.SUCCESS);
    assertThat(s.subscriptionBytes()).isEqualTo(10);
  }
}
