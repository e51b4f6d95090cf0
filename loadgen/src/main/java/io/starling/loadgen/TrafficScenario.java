package io.starling.loadgen;

import java.util.stream.IntStream;

/**
 * The shape of a scenario that makes traffic: how many publishers and subscribers, which topic each
 * publisher writes to and which filter each subscriber takes. {@link TrafficRun} runs any of them.
 * Topics and filters live under a base topic unique to the run.
 */
sealed interface TrafficScenario permits FanIn, FanOut, PointToPoint, Latency {
  /** How each publisher is paced. */
  enum Pacing {
    /** As fast as the QoS 1/2 in-flight window, the QoS 0 window and the socket allow. */
    AS_FAST_AS_ALLOWED,
    /** At the fixed {@link LoadOptions#ratePerSecond()}. */
    FIXED_RATE
  }

  /** The scenario's name in progress lines and in the RESULT line. */
  String name();

  int publishers();

  int subscribers();

  /** The topic publisher {@code publisher} (from 0) writes to. */
  String topic(String base, int publisher);

  /** The filter subscriber {@code subscriber} (from 0) subscribes to. */
  String filter(String base, int subscriber);

  /** The publishers whose messages subscriber {@code subscriber} gets. */
  int[] sources(int subscriber);

  /** How many subscribers get each message. */
  default int fanout() {
    return 1;
  }

  default Pacing pacing() {
    return Pacing.AS_FAST_AS_ALLOWED;
  }

  /** Every publisher, for scenarios in which each subscriber hears all of them. */
  static int[] all(int publishers) {
    return IntStream.range(0, publishers).toArray();
  }
}
