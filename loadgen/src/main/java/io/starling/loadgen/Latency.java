package io.starling.loadgen;

/**
 * latency: one publisher at the fixed {@link LoadOptions#ratePerSecond()} and one subscriber, so
 * that the percentiles measure the broker rather than queues filled by a flood.
 */
record Latency() implements TrafficScenario {
  @Override
  public String name() {
    return "latency";
  }

  @Override
  public int publishers() {
    return 1;
  }

  @Override
  public int subscribers() {
    return 1;
  }

  @Override
  public String topic(String base, int publisher) {
    return base;
  }

  @Override
  public String filter(String base, int subscriber) {
    return base;
  }

  @Override
  public int[] sources(int subscriber) {
    return new int[] {0};
  }

  @Override
  public Pacing pacing() {
    return Pacing.FIXED_RATE;
  }
}
