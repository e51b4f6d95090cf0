package io.starling.broker;

import io.starling.broker.config.BrokerConfig;
import io.starling.broker.routing.Router;
import io.starling.broker.routing.Subscriptions;
import io.starling.broker.session.SessionLifecycle;
import io.starling.broker.sys.BrokerStats;

/** What a connection needs of the broker it belongs to. Thread-safe. */
public interface BrokerContext {
  BrokerConfig config();

  BrokerStats stats();

  Router router();

  /** Subscription bookkeeping (topic tree, sessions' own lists, counts). */
  Subscriptions subscriptions();

  /** Whether the broker is stopping: no wills are published then. */
  boolean isShuttingDown();

  /** Where sessions begin and end: takeover, disconnection, expiry, wills. */
  SessionLifecycle lifecycle();
}
