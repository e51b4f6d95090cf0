package io.starling.loadgen;

/** fanin: {@code publishers} publishers, a topic each, and one subscriber on a wildcard. */
record FanIn(int publishers) implements TrafficScenario {
  @Override
  public String name() {
    return "fanin";
  }

  @Override
  public int subscribers() {
    return 1;
  }

  @Override
  public String topic(String base, int publisher) {
    return base + "/" + publisher;
  }

  @Override
  public String filter(String base, int subscriber) {
    return base + "/+";
  }

  @Override
  public int[] sources(int subscriber) {
    return TrafficScenario.all(publishers);
  }
}
