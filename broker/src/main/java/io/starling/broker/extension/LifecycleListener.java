package io.starling.broker.extension;

import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.MqttVersion;
import java.net.SocketAddress;

/**
 * Hears connections and sessions begin and end. Every method has an empty default, so a listener
 * implements only what it needs. Called on the event loop of the connection or session; must not
 * block.
 */
public interface LifecycleListener {
  /** A client was let in (CONNECT accepted, authenticated), before its CONNACK. */
  @EventLoopOnly
  default void onConnected(
      String clientId, String username, MqttVersion version, SocketAddress remoteAddress) {}

  /**
   * A connection that was let in ended.
   *
   * @param byClient true when the client sent DISCONNECT; false for a network error, a keep-alive
   *     timeout, a protocol error, a takeover or shutdown
   */
  @EventLoopOnly
  default void onDisconnected(String clientId, boolean byClient) {}

  /** A new session was created for {@code clientId} (none was kept for it). */
  @EventLoopOnly
  default void onSessionCreated(String clientId) {}

  /** A session ended: clean start, expiry, or its connection ended with expiry 0. */
  @EventLoopOnly
  default void onSessionEnded(String clientId) {}
}
