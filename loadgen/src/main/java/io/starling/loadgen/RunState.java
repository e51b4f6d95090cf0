package io.starling.loadgen;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the publishers and subscribers of one traffic run share: whether it is still running, the
 * message counts, and how many of each publisher's messages have arrived (over all subscribers),
 * which closes the QoS 0 window. Thread-safe: written on the event loops, read by the main thread.
 */
final class RunState {
  private final LongAdder received = new LongAdder();
  private final LongAdder published = new LongAdder();
  private final AtomicLong[] arrivals;
  private volatile boolean running = true;

  RunState(int publishers) {
    arrivals = new AtomicLong[publishers];
    for (int i = 0; i < publishers; i++) {
      arrivals[i] = new AtomicLong();
    }
  }

  boolean isRunning() {
    return running;
  }

  /** Publishers stop at their next message. */
  void stop() {
    running = false;
  }

  void countPublished() {
    published.increment();
  }

  long published() {
    return published.sum();
  }

  /** One message received by one subscriber. */
  void countReceived() {
    received.increment();
  }

  /** One message of {@code publisher} arrived at one subscriber; an unknown index is ignored. */
  void countArrival(int publisher) {
    if (publisher >= 0 && publisher < arrivals.length) {
      arrivals[publisher].incrementAndGet();
    }
  }

  long received() {
    return received.sum();
  }

  /** Messages of {@code publisher} that arrived, counted once per subscriber that got them. */
  long arrivals(int publisher) {
    return arrivals[publisher].get();
  }
}
