package io.starling.loadgen;

import java.util.BitSet;

/** Which sequence numbers of one publisher arrived: finds gaps, duplicates and reordering. */
final class SeqTracker {
  enum Outcome {
    IN_ORDER,
    DUPLICATE,
    OUT_OF_ORDER
  }

  private final BitSet seen = new BitSet();
  private long highest = -1;
  private long unique;

  Outcome accept(long seq) {
    if (seq < 0 || seq > Integer.MAX_VALUE) {
      return Outcome.OUT_OF_ORDER;
    }
    int i = (int) seq;
    if (seen.get(i)) {
      return Outcome.DUPLICATE;
    }
    seen.set(i);
    unique++;
    if (seq < highest) {
      return Outcome.OUT_OF_ORDER;
    }
    highest = seq;
    return Outcome.IN_ORDER;
  }

  long unique() {
    return unique;
  }
}
