package io.starling.loadgen;

/** fanout: one publisher and {@code subscribers} subscribers of its one topic. */
record FanOut(int subscribers) implements TrafficScenario {
  @Override
  public String name() {
    return "fanout";
  }

  @Override
  public int publishers() {
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
  public int fanout() {
    return subscribers;
  }
}
