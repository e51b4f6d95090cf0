package io.starling.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.loadgen.TrafficScenario.Pacing;
import org.junit.jupiter.api.Test;

class TrafficScenarioTest {
  private static final String BASE = "bench/run1/x";

  @Test
  void fanInPublishesOnATopicEachToOneWildcardSubscriber() {
    TrafficScenario s = new FanIn(3);
    assertThat(s.name()).isEqualTo("fanin");
    assertThat(s.publishers()).isEqualTo(3);
    assertThat(s.subscribers()).isEqualTo(1);
    assertThat(s.topic(BASE, 2)).isEqualTo("bench/run1/x/2");
    assertThat(s.filter(BASE, 0)).isEqualTo("bench/run1/x/+");
    assertThat(s.sources(0)).containsExactly(0, 1, 2);
    assertThat(s.fanout()).isEqualTo(1);
    assertThat(s.pacing()).isEqualTo(Pacing.AS_FAST_AS_ALLOWED);
  }

  @Test
  void fanOutSendsEveryMessageToEverySubscriber() {
    TrafficScenario s = new FanOut(100);
    assertThat(s.name()).isEqualTo("fanout");
    assertThat(s.publishers()).isEqualTo(1);
    assertThat(s.subscribers()).isEqualTo(100);
    assertThat(s.topic(BASE, 0)).isEqualTo(BASE);
    assertThat(s.filter(BASE, 99)).isEqualTo(BASE);
    assertThat(s.sources(42)).containsExactly(0);
    assertThat(s.fanout()).isEqualTo(100);
  }

  @Test
  void pointToPointPairsPublisherAndSubscriberOfTheSameIndex() {
    TrafficScenario s = new PointToPoint(10);
    assertThat(s.name()).isEqualTo("p2p");
    assertThat(s.publishers()).isEqualTo(10);
    assertThat(s.subscribers()).isEqualTo(10);
    assertThat(s.topic(BASE, 7)).isEqualTo("bench/run1/x/7");
    assertThat(s.filter(BASE, 7)).isEqualTo("bench/run1/x/7");
    assertThat(s.sources(7)).containsExactly(7);
    assertThat(s.fanout()).isEqualTo(1);
  }

  @Test
  void latencyIsOnePairAtAFixedRate() {
    TrafficScenario s = new Latency();
    assertThat(s.name()).isEqualTo("latency");
    assertThat(s.publishers()).isEqualTo(1);
    assertThat(s.subscribers()).isEqualTo(1);
    assertThat(s.filter(BASE, 0)).isEqualTo(s.topic(BASE, 0));
    assertThat(s.sources(0)).containsExactly(0);
    assertThat(s.pacing()).isEqualTo(Pacing.FIXED_RATE);
  }
}
