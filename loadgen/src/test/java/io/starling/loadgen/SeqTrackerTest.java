package io.starling.loadgen;

import static io.starling.loadgen.SeqTracker.Outcome.DUPLICATE;
import static io.starling.loadgen.SeqTracker.Outcome.IN_ORDER;
import static io.starling.loadgen.SeqTracker.Outcome.OUT_OF_ORDER;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeqTrackerTest {
  private static List<SeqTracker.Outcome> accept(SeqTracker t, long... seqs) {
    List<SeqTracker.Outcome> outcomes = new ArrayList<>();
    for (long seq : seqs) {
      outcomes.add(t.accept(seq));
    }
    return outcomes;
  }

  @Test
  void anUnbrokenSequenceIsInOrderAndCountedOnce() {
    SeqTracker t = new SeqTracker();
    assertThat(accept(t, 0, 1, 2, 3)).containsOnly(IN_ORDER);
    assertThat(t.unique()).isEqualTo(4);
  }

  @Test
  void aGapIsNotAnErrorUntilCounted() {
    SeqTracker t = new SeqTracker();
    // 2 and 3 never arrive: the caller sees 4 unique of the 6 sent, so 2 lost.
    assertThat(accept(t, 0, 1, 4, 5)).containsOnly(IN_ORDER);
    assertThat(t.unique()).isEqualTo(4);
  }

  @Test
  void aRepeatIsADuplicateAndNotCountedAgain() {
    SeqTracker t = new SeqTracker();
    assertThat(accept(t, 0, 1, 1, 0, 2))
        .containsExactly(IN_ORDER, IN_ORDER, DUPLICATE, DUPLICATE, IN_ORDER);
    assertThat(t.unique()).isEqualTo(3);
  }

  @Test
  void aLateArrivalIsOutOfOrderButCounted() {
    SeqTracker t = new SeqTracker();
    assertThat(accept(t, 0, 2, 1, 3)).containsExactly(IN_ORDER, IN_ORDER, OUT_OF_ORDER, IN_ORDER);
    assertThat(t.unique()).isEqualTo(4);
    assertThat(t.accept(1)).isEqualTo(DUPLICATE);
  }

  @Test
  void aSequenceNumberOutOfRangeIsOutOfOrderAndNotCounted() {
    SeqTracker t = new SeqTracker();
    assertThat(accept(t, -1, 1L + Integer.MAX_VALUE)).containsOnly(OUT_OF_ORDER);
    assertThat(t.unique()).isZero();
  }
}
