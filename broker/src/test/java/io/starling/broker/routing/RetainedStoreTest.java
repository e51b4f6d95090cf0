package io.starling.broker.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.Message;
import io.starling.codec.QoS;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class RetainedStoreTest {
  private final TopicTreeTest topics = new TopicTreeTest();

  @Provide
  Arbitrary<List<String>> topicLists() {
    return topics.topics().list().ofMaxSize(15);
  }

  @Provide
  Arbitrary<String> filters() {
    return topics.filters();
  }

  @Property(tries = 400)
  void matchesLikeTheReference(
      @ForAll("topicLists") List<String> stored,
      @ForAll("topicLists") List<String> cleared,
      @ForAll("filters") String filter) {
    RetainedStore store = new RetainedStore();
    Map<String, Boolean> live = new LinkedHashMap<>();
    for (String t : stored) {
      store.put(t, QoS.AT_LEAST_ONCE, Unpooled.copiedBuffer(t, StandardCharsets.UTF_8));
      live.put(t, true);
    }
    for (String t : cleared) {
      store.put(t, QoS.AT_LEAST_ONCE, Unpooled.EMPTY_BUFFER); // an empty payload clears
      live.remove(t);
    }
    List<String> got = new ArrayList<>();
    store.match(filter, r -> got.add(r.topic()));
    List<String> expected = new ArrayList<>();
    for (String t : live.keySet()) {
      if (TopicTreeTest.reference(filter, t)) {
        expected.add(t);
      }
    }
    assertThat(got).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(store.size()).isEqualTo(live.size());
  }

  @Test
  void aReplacedMessageIsTheNewOneAndTheTreeEmptiesWhenCleared() {
    RetainedStore store = new RetainedStore();
    store.put("a/b", QoS.AT_MOST_ONCE, Unpooled.copiedBuffer("one", StandardCharsets.UTF_8));
    store.put("a/b", QoS.AT_LEAST_ONCE, Unpooled.copiedBuffer("two", StandardCharsets.UTF_8));
    List<String> got = new ArrayList<>();
    store.match("a/#", r -> got.add(r.payload().toString(StandardCharsets.UTF_8) + r.qos()));
    assertThat(got).containsExactly("two" + QoS.AT_LEAST_ONCE);
    store.put("a/b", QoS.AT_LEAST_ONCE, Unpooled.EMPTY_BUFFER);
    assertThat(store.size()).isZero();
    got.clear();
    store.match("#", r -> got.add(r.topic()));
    assertThat(got).isEmpty();
  }

  @Test
  void anExpiredMessageIsNeitherSentNorKept() {
    RetainedStore store = new RetainedStore();
    var payload = Unpooled.copiedBuffer("old", StandardCharsets.UTF_8);
    long past = System.nanoTime() - 1;
    store.put(
        new Message(
            "a/b",
            payload,
            QoS.AT_MOST_ONCE,
            true,
            io.starling.codec.packet.Properties.EMPTY,
            past,
            null));
    store.put("a/c", QoS.AT_MOST_ONCE, Unpooled.copiedBuffer("new", StandardCharsets.UTF_8));
    List<String> got = new ArrayList<>();
    store.match("a/+", r -> got.add(r.topic()));
    // [MQTT-3.3.2-5]: an expired retained message is not sent, and no longer takes memory.
    assertThat(got).containsExactly("a/c");
    assertThat(store.size()).isEqualTo(1);
  }

  private static io.netty.buffer.ByteBuf text(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }

  @Test
  void aTreeOfAHundredThousandLevelsIsWalkedWithoutRecursion() {
    RetainedStore store = new RetainedStore();
    String deep = TopicTreeTest.deep("l", TopicTreeTest.DEEP_LEVELS);
    store.put(deep, QoS.AT_MOST_ONCE, text("bottom"));
    store.put(
        TopicTreeTest.deep("l", TopicTreeTest.DEEP_LEVELS / 2), QoS.AT_MOST_ONCE, text("mid"));
    store.put("l", QoS.AT_MOST_ONCE, text("top"));
    List<String> got = new ArrayList<>();
    store.match("#", r -> got.add(r.payload().toString(StandardCharsets.UTF_8)));
    assertThat(got).containsExactlyInAnyOrder("bottom", "mid", "top");
    got.clear();
    store.match("l/#", r -> got.add(r.payload().toString(StandardCharsets.UTF_8)));
    assertThat(got).containsExactlyInAnyOrder("bottom", "mid", "top");
    got.clear();
    store.match(deep, r -> got.add(r.payload().toString(StandardCharsets.UTF_8)));
    assertThat(got).containsExactly("bottom");
    got.clear();
    store.match(TopicTreeTest.deep("+", TopicTreeTest.DEEP_LEVELS), r -> got.add(r.topic()));
    assertThat(got).containsExactly(deep);
    store.put(deep, QoS.AT_MOST_ONCE, Unpooled.EMPTY_BUFFER);
    assertThat(store.size()).isEqualTo(2);
  }

  private static Limits caps(long messages, long bytes) {
    return Limits.DEFAULT.toBuilder().maxRetainedMessages(messages).maxRetainedBytes(bytes).build();
  }

  @Test
  void aNewRetainedMessageOverTheCountIsRefusedAndCountedButReplacementsAndClearsStillWork() {
    BrokerStats stats = new BrokerStats();
    RetainedStore store = new RetainedStore(caps(2, Long.MAX_VALUE), stats);
    assertThat(store.put("a", QoS.AT_MOST_ONCE, text("1"))).isTrue();
    assertThat(store.put("b", QoS.AT_MOST_ONCE, text("2"))).isTrue();
    assertThat(store.admits("c", 1)).isFalse();
    assertThat(store.put("c", QoS.AT_MOST_ONCE, text("3"))).isFalse();
    assertThat(stats.retainedRefused.sum()).isEqualTo(1);
    assertThat(store.admits("a", 1)).as("a replacement takes no new slot").isTrue();
    assertThat(store.put("a", QoS.AT_MOST_ONCE, text("1b"))).isTrue();
    assertThat(store.put("$SYS/x", QoS.AT_MOST_ONCE, text("sys")))
        .as("$ topics: the broker's")
        .isTrue();
    assertThat(store.put("b", QoS.AT_MOST_ONCE, Unpooled.EMPTY_BUFFER)).isTrue();
    assertThat(store.put("c", QoS.AT_MOST_ONCE, text("3"))).as("room again").isTrue();
    List<String> got = new ArrayList<>();
    store.match("#", r -> got.add(r.topic()));
    assertThat(got).containsExactlyInAnyOrder("a", "c");
    assertThat(store.size()).isEqualTo(3);
  }

  @Test
  void aRetainedMessageOverTheBytesIsRefusedAndTheOneItWouldReplaceGoesToo() {
    BrokerStats stats = new BrokerStats();
    // "a" (1 byte of topic) + 9 bytes of payload = 10 bytes: exactly the bound.
    RetainedStore store = new RetainedStore(caps(100, 10), stats);
    assertThat(store.put("a", QoS.AT_MOST_ONCE, text("123456789"))).isTrue();
    assertThat(store.bytes()).isEqualTo(10);
    assertThat(store.put("b", QoS.AT_MOST_ONCE, text("1"))).isFalse();
    assertThat(store.put("a", QoS.AT_MOST_ONCE, text("12345678"))).as("smaller: fits").isTrue();
    assertThat(store.bytes()).isEqualTo(9);
    assertThat(store.put("a", QoS.AT_MOST_ONCE, text("1234567890"))).isFalse();
    // 3.1.1 [MQTT-3.3.1-7]: no retained message for that topic, rather than the outdated one.
    List<String> got = new ArrayList<>();
    store.match("#", r -> got.add(r.topic()));
    assertThat(got).isEmpty();
    assertThat(store.size()).isZero();
    assertThat(store.bytes()).isZero();
    assertThat(stats.retainedRefused.sum()).isEqualTo(2);
  }

  @Test
  void propertiesCountTowardsTheBytes() {
    RetainedStore store = new RetainedStore(caps(100, 100), new BrokerStats());
    var props =
        io.starling.codec.packet.Properties.builder().userProperty("k", "v".repeat(200)).build();
    Message big = new Message("a", text("1"), QoS.AT_MOST_ONCE, true, props, 0, null);
    assertThat(store.put(big)).isFalse();
  }
}
