package io.starling.broker.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
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
}
