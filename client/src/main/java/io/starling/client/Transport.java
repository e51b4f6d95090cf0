package io.starling.client;

/** How the client reaches the broker. */
public enum Transport {
  /** Plain TCP, usually port 1883. */
  TCP,
  /** TLS over TCP, usually port 8883. */
  TLS,
  /** WebSocket (subprotocol {@code mqtt}), usually port 80 or 8080. */
  WEBSOCKET,
  /** WebSocket over TLS, usually port 443 or 8443. */
  WEBSOCKET_TLS;

  /** Whether the connection is encrypted. */
  public boolean isTls() {
    return this == TLS || this == WEBSOCKET_TLS;
  }

  /** Whether MQTT travels in WebSocket frames. */
  public boolean isWebSocket() {
    return this == WEBSOCKET || this == WEBSOCKET_TLS;
  }
}
