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

  /** Authentication, authorisation and abuse limits. */
  io.starling.broker.security.Security security();

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
