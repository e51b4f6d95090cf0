package io.starling.broker.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.extension.Hooks;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.Message;
import io.starling.broker.model.SubOptions;
import io.starling.broker.session.Session;
import io.starling.broker.session.SessionOwner;
import io.starling.codec.QoS;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The router asks each subscriber's read check before it stores a copy for it or picks it in a
 * shared group: a refused subscriber gets nothing stored, and the group picks one that may read.
 */
@Timeout(30)
class RouterReadCheckTest {
  private final EventLoop loop = new DefaultEventLoop();
  private final BrokerStats stats = new BrokerStats();

  /** Records the copies the router asks storage for. */
  private final List<String> stored = new CopyOnWriteArrayList<>();

  private final DurableCopies store =
      new DurableCopies() {
        @Override
        public void retained(Message m) {}

        @Override
        public long storeCopy(Subscriber s, Message m, QoS qos, boolean retain, int[] ids) {
          stored.add(s.clientId() + " " + m.topic());
          return 0;
        }
      };

  private final Router router = new Router(store, Hooks.NONE, stats);

  @AfterEach
  void stop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private Session session(String id, String deniedPrefix) throws Exception {
    Session s = new Session(id, loop, BrokerConfig.Limits.DEFAULT, stats);
    loop.submit(() -> s.own(SessionOwner.ANONYMOUS, topic -> !topic.startsWith(deniedPrefix)))
        .get();
    return s;
  }

  private void publish(String topic) throws Exception {
    loop.submit(
            () -> {
              var payload = Unpooled.copiedBuffer("x", StandardCharsets.UTF_8);
              router.publish(topic, payload, QoS.AT_LEAST_ONCE, false);
              router.dispatch();
              payload.release();
            })
        .get();
  }

  @Test
  void nothingIsStoredForASubscriberThatMayNotRead() throws Exception {
    Session s = session("reader", "secret/");
    router.subscriptions().subscribe("#", s, SubOptions.of(QoS.AT_LEAST_ONCE));
    publish("secret/x");
    publish("news");
    assertThat(stored).containsExactly("reader news");
    assertThat(stats.deliveriesDenied.sum()).isEqualTo(1);
  }

  @Test
  void aSharedGroupPicksOnlyMembersThatMayRead() throws Exception {
    Session blind = session("blind", "jobs/");
    Session reader = session("reader", "none/");
    router.joinShared("g", "jobs/#", blind, SubOptions.of(QoS.AT_LEAST_ONCE));
    router.joinShared("g", "jobs/#", reader, SubOptions.of(QoS.AT_LEAST_ONCE));
    for (int i = 0; i < 10; i++) {
      assertThat(router.sharedGroup("g", "jobs/#").pick(null, "jobs/" + i).subscriber())
          .isSameAs(reader);
    }
    assertThat(router.sharedGroup("g", "jobs/#").pick(reader, "jobs/1")).isNull();
    publish("jobs/1");
    assertThat(stored).containsExactly("reader jobs/1");
  }
}
