package io.starling.broker.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.codec.QoS;
import io.starling.codec.Topics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class TopicTreeTest {

  /** The reference: a plain, obviously correct reading of the matching rules. */
  static boolean reference(String filter, String topic) {
    String[] f = filter.split("/", -1);
    String[] t = topic.split("/", -1);
    if (topic.startsWith("$") && (f[0].equals("+") || f[0].equals("#"))) {
      return false; // [MQTT-4.7.2-1]
    }
    for (int i = 0; i < f.length; i++) {
      if (f[i].equals("#")) {
        return true; // matches this level and everything below, the parent too
      }
      if (i >= t.length || !(f[i].equals("+") || f[i].equals(t[i]))) {
        return false;
      }
    }
    return f.length == t.length;
  }

  @Provide
  public Arbitrary<String> topics() {
    return Arbitraries.of("a", "b", "", "$SYS", "$x", "c")
        .list()
        .ofMinSize(1)
        .ofMaxSize(4)
        .map(levels -> String.join("/", levels))
        .filter(t -> !t.isEmpty());
  }

  @Provide
  public Arbitrary<String> filters() {
    Arbitrary<List<String>> levels =
        Arbitraries.of("a", "b", "", "+", "$SYS", "$x", "c").list().ofMinSize(1).ofMaxSize(4);
    return Combinators.combine(levels, Arbitraries.of(true, false))
        .as((l, hash) -> hash ? String.join("/", l) + "/#" : String.join("/", l))
        .filter(f -> !f.isEmpty())
        .injectDuplicates(0.1)
        .edgeCases(e -> e.add("#"));
  }

  @Property(tries = 300)
  void matchesLikeTheReference(
      @ForAll("filtersList") List<String> filters, @ForAll("topics") String topic) {
    TopicTree<String, QoS> tree = new TopicTree<>();
    for (int i = 0; i < filters.size(); i++) {
      tree.subscribe(filters.get(i), "s" + i, QoS.AT_MOST_ONCE);
    }
    List<String> got = new ArrayList<>();
    tree.match(topic, (s, q) -> got.add(s));
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < filters.size(); i++) {
      if (reference(filters.get(i), topic)) {
        expected.add("s" + i);
      }
    }
    assertThat(got).containsExactlyInAnyOrderElementsOf(expected);
    for (String f : filters) {
      assertThat(Topics.matches(f, topic)).as(f + " vs " + topic).isEqualTo(reference(f, topic));
    }
  }

  @Provide
  Arbitrary<List<String>> filtersList() {
    return filters().list().ofMaxSize(12);
  }

  @Property(tries = 200)
  void unsubscribingEverythingLeavesAnEmptyTree(@ForAll("filtersList") List<String> filters) {
    TopicTree<String, QoS> tree = new TopicTree<>();
    Map<String, String> subs = new HashMap<>();
    for (int i = 0; i < filters.size(); i++) {
      tree.subscribe(filters.get(i), "s" + i, QoS.AT_LEAST_ONCE);
      subs.put("s" + i, filters.get(i));
    }
    subs.forEach((s, f) -> assertThat(tree.unsubscribe(f, s)).isTrue());
    assertThat(tree.isEmpty()).isTrue();
  }

  @Test
  void nodesGrowPastTheirSmallFormAndShrinkBackToNothing() {
    TopicTree<String, QoS> tree = new TopicTree<>();
    int n = TopicTree.SMALL * 3;
    for (int i = 0; i < n; i++) {
      // n subscribers on one filter, and n children under one level
      assertThat(tree.subscribe("shared/filter", "s" + i, QoS.AT_LEAST_ONCE)).isFalse();
      assertThat(tree.subscribe("devices/" + i, "d" + i, QoS.AT_MOST_ONCE)).isFalse();
      assertThat(tree.subscribe("shared/filter", "s" + i, QoS.EXACTLY_ONCE))
          .as("replaced")
          .isTrue();
      Map<String, QoS> got = new HashMap<>();
      tree.match("shared/filter", got::put);
      assertThat(got).hasSize(i + 1).containsEntry("s" + i, QoS.EXACTLY_ONCE);
    }
    for (int i = 0; i < n; i++) {
      List<String> got = new ArrayList<>();
      tree.match("devices/" + i, (s, q) -> got.add(s));
      assertThat(got).containsExactly("d" + i);
    }
    for (int i = n - 1; i >= 0; i--) {
      assertThat(tree.unsubscribe("shared/filter", "s" + i)).isTrue();
      assertThat(tree.unsubscribe("devices/" + i, "d" + i)).isTrue();
      assertThat(tree.unsubscribe("devices/" + i, "d" + i)).as("gone").isFalse();
      Map<String, QoS> got = new HashMap<>();
      tree.match("shared/filter", got::put);
      assertThat(got).hasSize(i);
    }
    assertThat(tree.isEmpty()).isTrue();
  }

  @Test
  void resubscribingReplacesTheQos() {
    TopicTree<String, QoS> tree = new TopicTree<>();
    assertThat(tree.subscribe("a/+", "s", QoS.AT_MOST_ONCE)).isFalse();
    assertThat(tree.subscribe("a/+", "s", QoS.EXACTLY_ONCE)).isTrue();
    Map<String, QoS> got = new HashMap<>();
    tree.match("a/b", got::put);
    assertThat(got).containsExactly(Map.entry("s", QoS.EXACTLY_ONCE));
  }

  @Test
  void hashMatchesTheParentLevelAndDollarTopicsNeedAnExplicitPrefix() {
    assertThat(Topics.matches("sport/tennis/#", "sport/tennis")).isTrue();
    assertThat(Topics.matches("sport/+", "sport/")).isTrue();
    assertThat(Topics.matches("+/+", "/finance")).isTrue();
    assertThat(Topics.matches("#", "$SYS/x")).isFalse();
    assertThat(Topics.matches("$SYS/#", "$SYS/x")).isTrue();
    assertThat(Topics.matches("+/monitor/Clients", "$SYS/monitor/Clients")).isFalse();
  }

  /** Levels far beyond any thread stack, had the walk used one frame per level. */
  static final int DEEP_LEVELS = 100_000;

  /** {@code level} repeated {@code n} times, joined by {@code /}. */
  static String deep(String level, int n) {
    return String.join("/", Collections.nCopies(n, level));
  }

  @Test
  void aTopicOfAHundredThousandLevelsIsMatchedWithoutRecursion() {
    TopicTree<String, QoS> tree = new TopicTree<>();
    String topic = deep("l", DEEP_LEVELS);
    // Every level has both an exact and a '+' branch, and '#' waits near the bottom.
    tree.subscribe(topic, "exact", QoS.AT_MOST_ONCE);
    tree.subscribe(deep("+", DEEP_LEVELS), "plus", QoS.AT_MOST_ONCE);
    tree.subscribe(deep("l", DEEP_LEVELS - 1) + "/#", "hash", QoS.AT_MOST_ONCE);
    tree.subscribe(deep("l", DEEP_LEVELS + 1), "deeper", QoS.AT_MOST_ONCE);
    List<String> got = new ArrayList<>();
    tree.match(topic, (s, q) -> got.add(s));
    assertThat(got).containsExactlyInAnyOrder("exact", "plus", "hash");
    assertThat(tree.unsubscribe(topic, "exact")).isTrue();
    got.clear();
    tree.match(topic, (s, q) -> got.add(s));
    assertThat(got).containsExactlyInAnyOrder("plus", "hash");
  }
}
