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
    return Limits.builder().maxQueuedMessages(max).queueOverflow(overflow).build();
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

  /** A message of {@code payloadBytes} bytes of payload on a one-byte topic. */
  private static OutboundMessage sized(String name, int payloadBytes) {
    return new OutboundMessage(
        Message.of(name, Unpooled.wrappedBuffer(new byte[payloadBytes]), QoS.AT_LEAST_ONCE, false),
        QoS.AT_LEAST_ONCE,
        false,
        null,
        null);
  }

  private static Limits bytesLimits(long maxBytes, QueueOverflow overflow) {
    return limits(1000, overflow).toBuilder().maxQueuedBytes(maxBytes).build();
  }

  private void add(OutboundQueue q, OutboundMessage m) {
    q.add(m, false, d -> discarded.add(d.message.topic()));
  }

  @Test
  void aQueueOverItsBytesDropsTheNewOrTheOldestAsConfigured() {
    // Each message is 1 byte of topic + 99 of payload = 100 bytes; the bound is 300.
    OutboundQueue dropNew = new OutboundQueue(bytesLimits(300, QueueOverflow.DROP_NEW), stats);
    for (String name : List.of("a", "b", "c", "d")) {
      add(dropNew, sized(name, 99));
    }
    assertThat(discarded).containsExactly("d");
    assertThat(dropNew.bytes()).isEqualTo(300);
    OutboundQueue dropOldest =
        new OutboundQueue(bytesLimits(300, QueueOverflow.DROP_OLDEST), stats);
    for (String name : List.of("a", "b", "c")) {
      add(dropOldest, sized(name, 99));
    }
    add(dropOldest, sized("e", 199)); // 200 bytes: the two oldest make room
    assertThat(discarded).containsExactly("d", "a", "b");
    assertThat(dropOldest.size()).isEqualTo(2);
    assertThat(dropOldest.bytes()).isEqualTo(300);
    assertThat(stats.queueBytesDropped.sum()).isEqualTo(3);
    assertThat(stats.queueOverflowDropped.sum()).isEqualTo(3);
    assertThat(stats.queuedBytes.get()).isEqualTo(600);
    assertThat(dropOldest.poll().message.topic()).isEqualTo("c");
    assertThat(stats.queuedBytes.get()).isEqualTo(500);
  }

  @Test
  void oneMessageLargerThanTheBoundIsStillQueuedAlone() {
    OutboundQueue q = new OutboundQueue(bytesLimits(100, QueueOverflow.DROP_NEW), stats);
    add(q, sized("a", 1000));
    assertThat(q.size()).isEqualTo(1);
    add(q, sized("b", 1));
    assertThat(discarded).containsExactly("b");
    q.clear(OutboundMessage::release);
    assertThat(stats.queuedBytes.get()).isZero();
  }

  @Test
  void aConnectedQueueOverHalfItsBytesHoldsPublishersBack() {
    OutboundQueue q = new OutboundQueue(bytesLimits(400, QueueOverflow.DROP_NEW), stats);
    q.add(sized("a", 199), true, d -> {});
    assertThat(q.isCongested()).as("at half, not over it").isFalse();
    q.add(sized("b", 0), true, d -> {});
    assertThat(q.isCongested()).isTrue();
    q.poll();
    q.relieveIfDrained();
    assertThat(q.isCongested()).isFalse();
  }

  @Test
  void messagesReadBackFromDiskAreKeptAndCountAgainstTheBytes() {
    OutboundQueue q = new OutboundQueue(bytesLimits(250, QueueOverflow.DROP_NEW), stats);
    java.util.ArrayDeque<OutboundMessage> merged = new java.util.ArrayDeque<>();
    for (String name : List.of("a", "b", "c")) {
      merged.add(sized(name, 99));
    }
    q.replace(merged);
    assertThat(q.size()).isEqualTo(3);
    assertThat(q.bytes()).isEqualTo(300);
    assertThat(stats.queuedBytes.get()).isEqualTo(300);
    add(q, sized("d", 99)); // over the bytes already: the overflow policy
    assertThat(discarded).containsExactly("d");
    q.poll();
    q.poll();
    add(q, sized("e", 99));
    assertThat(discarded).containsExactly("d");
    assertThat(stats.queuedBytes.get()).isEqualTo(200);
  }

  private static OutboundMessage qos0(String topic) {
    return new OutboundMessage(
        Message.of(topic, Unpooled.EMPTY_BUFFER, QoS.AT_MOST_ONCE, false),
        QoS.AT_MOST_ONCE,
        false,
        null,
        null);
  }

  /**
   * Issue #16: a connected subscriber's QoS 1/2 messages are never dropped, whatever the policy
   * (their publishers are held back instead); the bound and the policy still apply to its QoS 0.
   */
  @Test
  void aConnectedQueueKeepsQos1PastItsBoundAndDropsOnlyQos0() {
    for (QueueOverflow policy : QueueOverflow.values()) {
      discarded.clear();
      OutboundQueue q = new OutboundQueue(limits(3, policy), stats);
      fill(q, 5, true);
      assertThat(discarded).as("%s: QoS 1 kept", policy).isEmpty();
      assertThat(q.size()).isEqualTo(5);
      q.add(qos0("zero"), true, m -> discarded.add(m.message.topic()));
      assertThat(discarded)
          .as("%s: a QoS 0 message evicts no QoS 1 one", policy)
          .containsExactly("zero");
      assertThat(q.size()).isEqualTo(5);
    }
    OutboundQueue q = new OutboundQueue(limits(2, QueueOverflow.DROP_OLDEST), stats);
    discarded.clear();
    q.add(qos0("a"), true, m -> discarded.add(m.message.topic()));
    q.add(qos0("b"), true, m -> discarded.add(m.message.topic()));
    q.add(qos0("c"), true, m -> discarded.add(m.message.topic()));
    assertThat(discarded).as("drop_oldest among QoS 0").containsExactly("a");
    assertThat(q.poll().message.topic()).isEqualTo("b");
  }
}
