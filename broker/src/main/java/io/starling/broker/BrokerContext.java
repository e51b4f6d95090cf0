package io.starling.broker;

import io.starling.broker.config.BrokerConfig;
import io.starling.broker.routing.Router;
import io.starling.broker.routing.Subscriptions;
import io.starling.broker.session.Session;
import io.starling.broker.sys.BrokerStats;
import io.starling.broker.transport.MqttConnection;

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
   * Finds or creates the session of {@code clientId} and hands it to {@code connection}, ending any
   * connection that holds it now; calls {@link MqttConnection#onSessionReady} on the connection's
   * event loop when done.
   */
  void takeOver(String clientId, MqttConnection connection, boolean cleanSession);

  /** Ends a session for good: its subscriptions, queue and registry entry. On its owner loop. */
  void dropSession(Session session);
}
