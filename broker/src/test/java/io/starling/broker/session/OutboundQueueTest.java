package io.starling.broker.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.config.BrokerConfig.QueueOverflow;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.Message;
import io.starling.codec.QoS;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OutboundQueueTest {
  private final BrokerStats stats = new BrokerStats();
  private final List<String> discarded = new ArrayList<>();

  private static Limits limits(int max, QueueOverflow overflow) {
    Limits d = Limits.DEFAULT;
    return new Limits(
        d.maxConnections(),
        d.maxPacketSizeBytes(),
        d.maxInflightMessages(),
        max,
        overflow,
        d.maxTopicLevels(),
        d.connectTimeoutSeconds(),
        d.queueQos0WhileOffline());
  }

  private static OutboundMessage message(String topic) {
    return new OutboundMessage(
        Message.of(topic, Unpooled.EMPTY_BUFFER, QoS.AT_LEAST_ONCE, false),
        QoS.AT_LEAST_ONCE,
        false,
        null,
        null);
  }

  private void fill(OutboundQueue q, int n, boolean connected) {
    for (int i = 0; i < n; i++) {
      q.add(message("m" + i), connected, m -> discarded.add(m.message.topic()));
    }
  }

  @Test
  void aFullQueueDropsTheNewOrTheOldestAsConfiguredAndCountsIt() {
    OutboundQueue dropNew = new OutboundQueue(limits(3, QueueOverflow.DROP_NEW), stats);
    fill(dropNew, 4, false);
    assertThat(discarded).containsExactly("m3");
    OutboundQueue dropOldest = new OutboundQueue(limits(3, QueueOverflow.DROP_OLDEST), stats);
    fill(dropOldest, 4, false);
    assertThat(discarded).containsExactly("m3", "m0");
    assertThat(dropOldest.poll().message.topic()).isEqualTo("m1");
    assertThat(stats.queueOverflowDropped.sum()).isEqualTo(2);
    assertThat(stats.queuedMessages.get()).as("3 + 3 queued, 1 taken").isEqualTo(5);
  }

  @Test
  void aConnectedQueueHalfFullHoldsPublishersBackUntilItIsDownToAQuarter() {
    OutboundQueue q = new OutboundQueue(limits(8, QueueOverflow.DROP_NEW), stats);
    AtomicInteger resumed = new AtomicInteger();
    fill(q, 4, true);
    assertThat(q.isCongested()).as("at the high-water mark, not over it").isFalse();
    fill(q, 1, true);
    assertThat(q.isCongested()).isTrue();
    q.whenDrained(resumed::incrementAndGet);
    q.poll();
    q.poll();
    q.relieveIfDrained();
    assertThat(resumed).as("3 left: above a quarter").hasValue(0);
    q.poll();
    q.relieveIfDrained();
    assertThat(q.isCongested()).isFalse();
    assertThat(resumed).hasValue(1);
  }

  @Test
  void anOfflineQueueNeverHoldsPublishersBack() {
    OutboundQueue q = new OutboundQueue(limits(8, QueueOverflow.DROP_NEW), stats);
    fill(q, 8, false);
    assertThat(q.isCongested()).isFalse();
  }
}
