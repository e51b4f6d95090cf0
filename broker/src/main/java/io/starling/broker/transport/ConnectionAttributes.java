package io.starling.broker.transport;

import io.netty.util.AttributeKey;

/**
 * What the listener knows about a connection before its CONNECT arrives, kept on the channel so
 * that the transport (TLS, WebSocket) and security code need not know each other. Set by the
 * listener's pipeline when the channel is accepted or the TLS handshake completes; read by the
 * connection when CONNECT is processed, always on the channel's event loop.
 */
public final class ConnectionAttributes {
  /** The name of the listener that accepted the connection, for logs and per-listener rules. */
  public static final AttributeKey<String> LISTENER_NAME =
      AttributeKey.valueOf("starling.listenerName");

  /**
   * Whether this listener lets clients in without credentials; absent means the broker-wide
   * security setting applies.
   */
  public static final AttributeKey<Boolean> ALLOW_ANONYMOUS =
      AttributeKey.valueOf("starling.allowAnonymous");

  /**
   * The user name taken from the verified client certificate (mutual TLS with a certificate field
   * configured as the user name); absent otherwise. When present it is the user name the connection
   * is authorised as, whatever CONNECT says.
   */
  public static final AttributeKey<String> CERTIFICATE_USERNAME =
      AttributeKey.valueOf("starling.certificateUsername");

  private ConnectionAttributes() {}
}
