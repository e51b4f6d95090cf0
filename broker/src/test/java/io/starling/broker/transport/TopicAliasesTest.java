package io.starling.broker.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.starling.codec.QoS;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.Publish;
import org.junit.jupiter.api.Test;

class TopicAliasesTest {
  private static Publish publish(String topic, int alias) {
    Properties props =
        alias == 0
            ? Properties.EMPTY
            : Properties.builder().add(PropertyId.TOPIC_ALIAS, alias).build();
    return new Publish(topic, QoS.AT_MOST_ONCE, false, false, 0, props, Unpooled.EMPTY_BUFFER);
  }

  @Test
  void anInboundAliasIsSetByATopicAndUsedByAnEmptyName() {
    TopicAliases a = new TopicAliases(2, 0);
    Publish set = publish("a/b", 2);
    assertThat(a.check(set)).isNull();
    assertThat(a.resolve(set)).isEqualTo("a/b");
    Publish use = publish("", 2);
    assertThat(a.check(use)).isNull();
    assertThat(a.resolve(use)).isEqualTo("a/b");
  }

  @Test
  void anAliasAboveTheMaximumOrNeverSetIsRefused() {
    TopicAliases a = new TopicAliases(2, 0);
    assertThat(a.check(publish("a", 3))).isEqualTo(TopicAliases.Problem.OUT_OF_RANGE);
    assertThat(a.check(publish("", 1))).isEqualTo(TopicAliases.Problem.UNKNOWN);
  }

  @Test
  void outboundAliasesAreGivenUpToTheClientsMaximumThenReused() {
    TopicAliases a = new TopicAliases(0, 2);
    Publish first = a.apply(publish("x", 0), Long.MAX_VALUE);
    assertThat(first.topic()).isEqualTo("x");
    assertThat(first.properties().intValue(PropertyId.TOPIC_ALIAS)).hasValue(1);
    assertThat(
            a.apply(publish("y", 0), Long.MAX_VALUE).properties().intValue(PropertyId.TOPIC_ALIAS))
        .hasValue(2);
    Publish third = a.apply(publish("z", 0), Long.MAX_VALUE);
    assertThat(third.topic()).isEqualTo("z");
    assertThat(third.properties().contains(PropertyId.TOPIC_ALIAS)).isFalse();
    Publish again = a.apply(publish("x", 0), Long.MAX_VALUE);
    assertThat(again.topic()).isEmpty();
    assertThat(again.properties().intValue(PropertyId.TOPIC_ALIAS)).hasValue(1);
  }

  @Test
  void aClientThatAllowsNoAliasesGetsNone() {
    TopicAliases a = new TopicAliases(5, 0);
    assertThat(a.apply(publish("x", 0), Long.MAX_VALUE).properties().isEmpty()).isTrue();
  }
}
