package io.starling.loadgen;

import java.io.PrintWriter;

/**
 * The load generator behind {@code starling bench}: opens real MQTT connections to a broker, makes
 * the traffic of one {@link LoadOptions.Scenario}, and measures what arrives. Every run is bounded
 * in time; it talks only to the address it is given. One scenario class each ({@link FanIn}, {@link
 * FanOut}, {@link PointToPoint}, {@link Latency}, {@link IdleConnections}); the traffic scenarios
 * share {@link TrafficRun}.
 */
public final class LoadTool implements AutoCloseable {
  private final LoadOptions o;
  private final PrintWriter out;
  private final Connector connector;

  /**
   * @param out where progress, the summary and the RESULT line go
   */
  public LoadTool(LoadOptions options, PrintWriter out) {
    this.o = options;
    this.out = out;
    this.connector = new Connector(options);
  }

  /** Runs the scenario and returns its result; prints progress and the summary to {@code out}. */
  public LoadResult run() throws Exception {
    return switch (o.scenario()) {
      case FANIN -> traffic(new FanIn(o.publishers()));
      case FANOUT -> traffic(new FanOut(o.subscribers()));
      case P2P -> traffic(new PointToPoint(o.publishers()));
      case LATENCY -> traffic(new Latency());
      case CONNS -> new IdleConnections(o, connector, out).run();
    };
  }

  private LoadResult traffic(TrafficScenario scenario) throws Exception {
    return new TrafficRun(scenario, o, connector, out).run();
  }

  /** Closes every connection and stops the tool's threads. */
  @Override
  public void close() {
    connector.close();
  }
}
