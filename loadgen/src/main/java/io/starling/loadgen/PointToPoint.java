package io.starling.loadgen;

/** p2p: {@code pairs} publisher/subscriber pairs, a topic each; subscriber i hears publisher i. */
record PointToPoint(int pairs) implements TrafficScenario {
  @Override
  public String name() {
    return "p2p";
  }

  @Override
  public int publishers() {
    return pairs;
  }

  @Override
  public int subscribers() {
    return pairs;
  }

  @Override
  public String topic(String base, int publisher) {
    return base + "/" + publisher;
  }

  @Override
  public String filter(String base, int subscriber) {
    return base + "/" + subscriber;
  }

  @Override
  public int[] sources(int subscriber) {
    return new int[] {subscriber};
  }
}
