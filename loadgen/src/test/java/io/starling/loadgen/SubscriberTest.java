package io.starling.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class SubscriberTest {
  private final RunState state = new RunState(2);

  private static void receive(Subscriber s, int size, int publisher, long... seqs) {
    for (long seq : seqs) {
      ByteBuf b = Unpooled.buffer(size);
      Payloads.write(b, size, publisher, seq);
      s.onMessage(b);
      b.release();
    }
  }

  @Test
  void countsLostDuplicatedAndOutOfOrderPerPublisher() {
    Subscriber s = new Subscriber(2, new int[] {0, 1}, true, state);
    receive(s, 64, 0, 0, 1, 1, 3, 2); // publisher 0: one duplicate, 2 late, 4 never arrives
    receive(s, 64, 1, 0, 2); // publisher 1: 1 and 3 never arrive
    assertThat(s.duplicates()).isEqualTo(1);
    assertThat(s.outOfOrder()).isEqualTo(1);
    assertThat(s.lost(new long[] {5, 4})).isEqualTo(1 + 2);
    assertThat(state.received()).isEqualTo(7);
    assertThat(state.arrivals(0)).isEqualTo(5);
    assertThat(state.arrivals(1)).isEqualTo(2);
  }

  @Test
  void countsLossOnlyForItsOwnSources() {
    Subscriber s = new Subscriber(2, new int[] {1}, true, state);
    receive(s, 20, 1, 0, 1, 2);
    assertThat(s.lost(new long[] {1000, 3})).isZero();
    assertThat(s.lost(new long[] {1000, 10})).isEqualTo(7);
  }

  @Test
  void recordsLatenciesAndDropsThoseOfTheWarmUp() {
    Subscriber s = new Subscriber(1, new int[] {0}, true, state);
    receive(s, 64, 0, 0, 1, 2);
    Histogram all = new Histogram(3);
    s.addLatenciesTo(all);
    assertThat(all.getTotalCount()).isEqualTo(3);
    s.requestHistogramReset();
    receive(s, 64, 0, 3);
    Histogram measured = new Histogram(3);
    s.addLatenciesTo(measured);
    assertThat(measured.getTotalCount()).isEqualTo(1);
  }

  @Test
  void shortPayloadsAreCountedButNotTracked() {
    Subscriber s = new Subscriber(1, new int[] {0}, false, state);
    receive(s, 8, 0, 0, 0, 0);
    assertThat(state.received()).isEqualTo(3);
    assertThat(state.arrivals(0)).isZero();
    assertThat(s.duplicates()).isZero();
    assertThat(s.lost(new long[] {100})).isZero();
  }

  @Test
  void anUnknownPublisherIsCountedButNotTracked() {
    Subscriber s = new Subscriber(2, new int[] {0, 1}, true, state);
    receive(s, 64, 7, 0, 0);
    assertThat(state.received()).isEqualTo(2);
    assertThat(s.duplicates()).isZero();
    assertThat(state.arrivals(0) + state.arrivals(1)).isZero();
  }
}
