package io.starling.broker.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.SubOptions;
import io.starling.broker.session.Session;
import io.starling.broker.session.SessionConnection;
import io.starling.codec.QoS;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Publish;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Routing between event loops: order, payload references, and back-pressure. */
@Timeout(30)
class RouterTest {
  private final EventLoop publisherLoop = new DefaultEventLoop();
  private final EventLoop subscriberLoop = new DefaultEventLoop();
  private final Router router = new Router();

  /** A connected subscriber that records the payloads written to it, then releases them. */
  static final class Recorder implements SessionConnection {
    final EventLoop loop;
    final List<String> received = new CopyOnWriteArrayList<>();
    final List<Integer> packetIds = new CopyOnWriteArrayList<>();

    Recorder(EventLoop loop) {
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
        received.add(p.payload().toString(StandardCharsets.UTF_8));
        packetIds.add(p.packetId());
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
  }

  @AfterEach
  void stop() {
    publisherLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    subscriberLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private Recorder subscribe(String filter) throws Exception {
    Recorder r = new Recorder(subscriberLoop);
    Session s =
        new Session("s-" + filter, subscriberLoop, BrokerConfig.Limits.DEFAULT, new BrokerStats());
    subscriberLoop.submit(() -> s.attach(r, false)).get();
    router.subscriptions().subscribe(filter, s, SubOptions.of(QoS.AT_MOST_ONCE));
    return r;
  }

  @Test
  void messagesFromAnotherLoopArriveInOrderAndTheirPayloadsAreReleased() throws Exception {
    Recorder r = subscribe("t");
    ByteBuf[] payloads = new ByteBuf[1000];
    publisherLoop
        .submit(
            () -> {
              for (int i = 0; i < payloads.length; i++) {
                payloads[i] = Unpooled.copiedBuffer(Integer.toString(i), StandardCharsets.UTF_8);
                router.publish("t", payloads[i], QoS.AT_MOST_ONCE, false);
                if (i % 100 == 99) {
                  router.dispatch(); // as at the end of a read batch
                }
              }
            })
        .get();
    await().until(() -> r.received.size() == payloads.length);
    for (int i = 0; i < payloads.length; i++) {
      assertThat(r.received.get(i)).isEqualTo(Integer.toString(i));
      // The router's reference is gone: only the publisher's own remains.
      assertThat(payloads[i].refCnt()).isEqualTo(1);
      payloads[i].release();
    }
  }

  @Test
  void aBusyDestinationLoopMakesPublishersPauseUntilItDrains() throws Exception {
    Recorder r = subscribe("busy");
    CountDownLatch release = new CountDownLatch(1);
    subscriberLoop.execute(
        () -> {
          try {
            release.await(); // the subscriber's loop is stuck for a while
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    int messages = Mailbox.HIGH_WATER + 1000;
    AtomicReference<Backpressure> congested = new AtomicReference<>();
    CountDownLatch resumed = new CountDownLatch(1);
    ByteBuf payload = Unpooled.copiedBuffer("x", StandardCharsets.UTF_8);
    publisherLoop
        .submit(
            () -> {
              for (int i = 0; i < messages; i++) {
                router.publish("busy", payload, QoS.AT_MOST_ONCE, false);
                Backpressure m = router.dispatch();
                if (m != null && congested.get() == null) {
                  congested.set(m);
                  m.whenDrained(resumed::countDown);
                }
              }
            })
        .get();
    assertThat(congested.get()).as("the mailbox reported congestion").isNotNull();
    assertThat(resumed.getCount()).as("not resumed while the loop is stuck").isEqualTo(1);
    release.countDown();
    assertThat(resumed.await(10, TimeUnit.SECONDS)).isTrue();
    await().until(() -> r.received.size() == messages);
    assertThat(payload.refCnt()).isEqualTo(1);
    payload.release();
  }

  @Test
  void aSubscriberThatFallsBehindSlowsItsPublishersInsteadOfLosingMessages() throws Exception {
    BrokerConfig.Limits small =
        BrokerConfig.Limits.builder().maxInflightMessages(1).maxQueuedMessages(10).build();
    Recorder r = new Recorder(subscriberLoop);
    Session s = new Session("slow", subscriberLoop, small, new BrokerStats());
    subscriberLoop.submit(() -> s.attach(r, false)).get();
    router.subscriptions().subscribe("slow", s, SubOptions.of(QoS.AT_LEAST_ONCE));
    ByteBuf payload = Unpooled.copiedBuffer("x", StandardCharsets.UTF_8);
    AtomicReference<Backpressure> congested = new AtomicReference<>();
    CountDownLatch resumed = new CountDownLatch(1);
    // One in flight, no acknowledgement yet: the rest queue up until the queue is half full.
    for (int i = 0; i < 8 && congested.get() == null; i++) {
      publisherLoop
          .submit(
              () -> {
                router.publish("slow", payload, QoS.AT_LEAST_ONCE, false);
                Backpressure b = router.dispatch();
                if (b != null) {
                  congested.set(b);
                  b.whenDrained(resumed::countDown);
                }
              })
          .get();
      subscriberLoop.submit(() -> {}).get(); // let the delivery land
    }
    assertThat(congested.get()).as("the slow subscriber reported congestion").isSameAs(s);
    assertThat(resumed.getCount()).isEqualTo(1);
    // The subscriber acknowledges what it gets; its queue drains and the publisher may go on.
    await()
        .until(
            () -> {
              subscriberLoop
                  .submit(() -> s.onPubAck(r.packetIds.get(r.packetIds.size() - 1)))
                  .get();
              return resumed.getCount() == 0;
            });
    assertThat(s.isCongested()).isFalse();
    subscriberLoop.submit(s::clearMessages).get();
    assertThat(payload.refCnt()).isEqualTo(1);
    payload.release();
  }

  @Test
  void aFullMailboxLeavesItsBatchesWithThePublisherAndDeliversThemInOrderOnceItDrains()
      throws Exception {
    Recorder r = subscribe("full");
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    subscriberLoop.execute(
        () -> {
          try {
            release.await(); // the subscriber's loop is busy: its mailbox fills up
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    int n = Mailbox.CAPACITY + 100; // one batch per dispatch: more batches than the mailbox holds
    List<Backpressure> answers = new java.util.ArrayList<>();
    publisherLoop
        .submit(
            () -> {
              for (int i = 0; i < n; i++) {
                ByteBuf p = Unpooled.copiedBuffer(Integer.toString(i), StandardCharsets.UTF_8);
                router.publish("full", p, QoS.AT_MOST_ONCE, false);
                p.release();
                answers.add(router.dispatch());
              }
            })
        .get();
    assertThat(answers.get(n - 1)).as("the publisher is told to pause").isNotNull();
    assertThat(r.received).as("nothing delivered while the loop is busy").isEmpty();
    release.countDown();
    await().atMost(java.time.Duration.ofSeconds(20)).until(() -> r.received.size() == n);
    for (int i = 0; i < n; i++) {
      assertThat(r.received.get(i)).isEqualTo(Integer.toString(i));
    }
  }
}
