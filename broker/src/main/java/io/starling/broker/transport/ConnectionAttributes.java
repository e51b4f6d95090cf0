package io.starling.broker.transport;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.starling.broker.security.Peer;

/**
 * What the listener knows about a connection before its CONNECT arrives, kept on the channel so
 * that the transport (TLS, WebSocket) and security code need not know each other. What holds for a
 * whole listener (its name, anonymous access) is set once on its server channel and read through
 * {@link #get}, so that idle connections do not each carry a copy; what is per connection (the
 * certificate user name) is set on the connection's channel when the TLS handshake completes. Read
 * when CONNECT is processed, on the channel's event loop.
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

  /** What security needs to know of a connection: address, listener, certificate user name. */
  public static Peer peerOf(Channel channel) {
    return new Peer(
        channel.remoteAddress(),
        get(channel, LISTENER_NAME),
        get(channel, ALLOW_ANONYMOUS),
        get(channel, CERTIFICATE_USERNAME));
  }

  /**
   * The value of {@code key} for a connection: its own, else its listener's (the server channel
   * that accepted it); null if neither has one. Never creates an attribute.
   */
  public static <T> T get(Channel channel, AttributeKey<T> key) {
    if (channel.hasAttr(key)) {
      return channel.attr(key).get();
    }
    Channel listener = channel.parent();
    return listener != null && listener.hasAttr(key) ? listener.attr(key).get() : null;
  }
}
