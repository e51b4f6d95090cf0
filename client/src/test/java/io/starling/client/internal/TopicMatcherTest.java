package io.starling.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(10)
class TopicMatcherTest {
  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource({
    "a/b, a/b, true",
    "a/b, a/c, false",
    "a/+, a/b, true",
    "a/+, a/b/c, false",
    "a/+, a, false",
    "a/+, a/, true",
    "a/#, a, true",
    "a/#, a/b/c, true",
    "a/#, ab, false",
    "#, a/b, true",
    "+/+, a/b, true",
    "+, /, false",
    "+/+, /, true",
    "#, $SYS/x, false",
    "+/x, $SYS/x, false",
    "$SYS/#, $SYS/x, true",
    "$share/g/a/+, a/b, true",
    "$share/g/a/+, b/b, false",
  })
  void matchesLikeABroker(String filter, String topic, boolean expected) {
    assertThat(TopicMatcher.matches(filter, topic)).isEqualTo(expected);
  }

  @Test
  void aSharedFilterWithoutAFilterMatchesNothing() {
    assertThat(TopicMatcher.matches("$share/g", "g")).isFalse();
  }
}
