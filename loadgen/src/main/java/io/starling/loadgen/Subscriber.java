package io.starling.loadgen;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * What one subscriber of a traffic run received: latencies, and per publisher which sequence
 * numbers arrived. {@link #onMessage} runs on the subscriber's event loop; the other methods are
 * for the main thread once the run has ended, except {@link #requestHistogramReset}.
 */
final class Subscriber {
  private static final long MAX_LATENCY_MICROS = TimeUnit.SECONDS.toMicros(60);

  private final Histogram histogram = new Histogram(MAX_LATENCY_MICROS, 3);
  private final SeqTracker[] perPublisher;
  private final int[] sources;
  private final boolean tracking;
  private final RunState state;
  private long duplicates;
  private long outOfOrder;
  private volatile boolean resetRequested;

  /**
   * @param publishers the publishers of the run
   * @param sources the publishers whose messages this subscriber gets
   * @param tracking whether payloads are long enough to carry a sequence number and timestamp
   */
  Subscriber(int publishers, int[] sources, boolean tracking, RunState state) {
    this.tracking = tracking;
    this.sources = sources.clone();
    this.state = state;
    this.perPublisher = new SeqTracker[publishers];
    for (int i = 0; i < publishers; i++) {
      perPublisher[i] = new SeqTracker();
    }
  }

  /** Latencies recorded so far are dropped at the next message: the warm-up is over. */
  void requestHistogramReset() {
    resetRequested = true;
  }

  /** Counts one received payload; {@code b} is valid only during the call and is not consumed. */
  void onMessage(ByteBuf b) {
    state.countReceived();
    if (!tracking || b.readableBytes() < Payloads.HEADER) {
      return;
    }
    if (resetRequested) {
      histogram.reset();
      resetRequested = false;
    }
    int publisher = Payloads.publisher(b);
    long seq = Payloads.seq(b);
    state.countArrival(publisher);
    long micros = (System.nanoTime() - Payloads.sentNanos(b)) / 1000;
    histogram.recordValue(Math.max(0, Math.min(micros, MAX_LATENCY_MICROS)));
    if (publisher < 0 || publisher >= perPublisher.length) {
      return;
    }
    switch (perPublisher[publisher].accept(seq)) {
      case DUPLICATE -> duplicates++;
      case OUT_OF_ORDER -> outOfOrder++;
      default -> {}
    }
  }

  /**
   * Messages its sources sent that never arrived here; 0 when payloads are too short to tell.
   *
   * @param sent messages sent, by publisher index
   */
  long lost(long[] sent) {
    if (!tracking) {
      return 0;
    }
    long lost = 0;
    for (int p : sources) {
      lost += Math.max(0, sent[p] - perPublisher[p].unique());
    }
    return lost;
  }

  long duplicates() {
    return duplicates;
  }

  long outOfOrder() {
    return outOfOrder;
  }

  /** Adds this subscriber's latencies (microseconds, since the warm-up ended) to {@code all}. */
  void addLatenciesTo(Histogram all) {
    all.add(histogram);
  }
}
