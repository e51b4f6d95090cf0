package io.starling.broker.transport;

import io.starling.broker.config.BrokerConfig;
import io.starling.broker.extension.Hooks;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.routing.Router;
import io.starling.broker.security.EnhancedAuthenticator;
import io.starling.broker.session.SessionLifecycle;
import io.starling.broker.session.Subscriptions;
import io.starling.broker.store.internal.Persistence;

/** What a connection needs of the broker it belongs to. Thread-safe. */
public interface BrokerContext {
  BrokerConfig config();

  BrokerStats stats();

  Router router();

  /** Subscription bookkeeping (topic tree, sessions' own lists, counts). */
  Subscriptions subscriptions();

  /**
   * Authentication, authorisation and abuse limits. The default, for test doubles, lets every
   * client in and allows everything, as a broker without security settings does.
   */
  default io.starling.broker.security.Security security() {
    return io.starling.broker.security.Security.open();
  }

  /** Whether the broker is stopping: no wills are published then. */
  boolean isShuttingDown();

  /**
   * The enhanced authentication method of that name (MQTT 5.0 section 4.12), or {@code null} if the
   * broker does not offer it.
   */
  EnhancedAuthenticator enhancedAuthenticator(String method);

  /** Where sessions begin and end: takeover, disconnection, expiry, wills. */
  SessionLifecycle lifecycle();

  /** The extension hooks plugged into this broker; none by default. */
  default Hooks hooks() {
    return Hooks.NONE;
  }

  /** The store when persistence is on, otherwise {@code null}. */
  default Persistence persistence() {
    return null;
  }
}
