package io.starling.codec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopicsTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a",
        "a/b",
        "/",
        "//",
        "/a",
        "a/",
        "$SYS/x",
        "sport/tennis",
        "\u00e9/\ud83d\ude00",
        " "
      })
  void validTopicNames(String name) {
    assertThat(Topics.topicNameProblem(name)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "+", "#", "a/+", "a/#", "a+", "a#b", "sport/tennis/#"})
  void invalidTopicNames(String name) {
    assertThat(Topics.topicNameProblem(name)).isNotNull();
  }

  /** Section 4.7.1 examples, and the forms they imply. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "#",
        "+",
        "/",
        "a",
        "+/+",
        "/+",
        "+/",
        "a/#",
        "/#",
        "a/+/b",
        "a/+/#",
        "sport/tennis/player1/#",
        "sport/+/player1",
        "+/tennis/#",
        "$share", // a plain filter: the $share/ prefix is only special with the slash, in 5.0
        "a//b"
      })
  void validFiltersInEveryVersion(String filter) {
    for (MqttVersion v : MqttVersion.values()) {
      assertThat(Topics.topicFilterProblem(filter, v)).as("%s in %s", filter, v).isNull();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "a#",
        "a/#/b",
        "#/a",
        "##",
        "a+",
        "+a",
        "a/b+",
        "a/+b/c",
        "++",
        "+#",
        "sport/tennis#",
        "sport+"
      })
  void invalidFiltersInEveryVersion(String filter) {
    for (MqttVersion v : MqttVersion.values()) {
      assertThat(Topics.topicFilterProblem(filter, v)).as("%s in %s", filter, v).isNotNull();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "$share/g/a",
        "$share/g/#",
        "$share/g/+/b",
        "$share/consumer1/sport/#",
        "$share/g//"
      })
  void sharedFiltersIn5(String filter) {
    assertThat(Topics.topicFilterProblem(filter, MqttVersion.V5)).isNull();
    assertThat(Topics.isShared(filter)).isTrue();
  }

  /** [MQTT-4.8.2-1], [MQTT-4.8.2-2]: a share name of one character or more, then a filter. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "$share/",
        "$share/g",
        "$share/g/",
        "$share//a",
        "$share/+/a",
        "$share/#/a",
        "$share/g+/a",
        "$share/g/a/#/b",
        "$share/g/a+"
      })
  void invalidSharedFiltersIn5(String filter) {
    assertThat(Topics.topicFilterProblem(filter, MqttVersion.V5)).isNotNull();
  }

  @ParameterizedTest
  @EnumSource(
      value = MqttVersion.class,
      names = {"V3_1", "V3_1_1"})
  void sharePrefixIsPlainTextBefore5(MqttVersion v) {
    // No shared subscriptions before 5.0: these are ordinary, valid filters there.
    assertThat(Topics.topicFilterProblem("$share/g", v)).isNull();
    assertThat(Topics.topicFilterProblem("$share//a", v)).isNull();
    assertThat(Topics.topicFilterProblem("$share/g/", v)).isNull();
    // ... but the wildcard rules still apply.
    assertThat(Topics.topicFilterProblem("$share/g+/a", v)).isNotNull();
  }

  @Test
  void wildcards() {
    assertThat(Topics.hasWildcard("a/+/b")).isTrue();
    assertThat(Topics.hasWildcard("#")).isTrue();
    assertThat(Topics.hasWildcard("a/b")).isFalse();
    assertThat(Topics.hasWildcard("")).isFalse();
  }

  @Test
  void sharedNeedsTheWholePrefix() {
    assertThat(Topics.isShared("$share/g/a")).isTrue();
    assertThat(Topics.isShared("$share")).isFalse();
    assertThat(Topics.isShared("$SHARE/g/a")).isFalse();
    assertThat(Topics.isShared("a/$share/g")).isFalse();
  }
}
