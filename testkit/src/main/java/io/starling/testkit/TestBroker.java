package io.starling.testkit;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.BrokerStartException;

/** Starts in-process brokers on 127.0.0.1 and an ephemeral port, for tests. */
public final class TestBroker {
  private TestBroker() {}

  /** A broker with default settings, {@code $SYS} every second. */
  public static Broker start() {
    return start(BrokerConfig.defaults().withSys(new BrokerConfig.Sys(1)));
  }

  /** A broker with {@code config}, listening on 127.0.0.1 and a free port. */
  public static Broker start(BrokerConfig config) {
    try {
      return Broker.start(config.withListener("127.0.0.1", 0));
    } catch (BrokerStartException e) {
      throw new IllegalStateException(e);
    }
  }
}
