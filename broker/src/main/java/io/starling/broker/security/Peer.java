package io.starling.broker.security;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * What security needs to know of a connection before its CONNECT is decided, taken from the
 * transport (socket, listener, TLS handshake) so that security never sees a Netty channel.
 *
 * @param remoteAddress the client's address, or {@code null} if unknown
 * @param listenerName the name of the listener that accepted it, or {@code null}
 * @param allowAnonymous whether that listener lets clients in without credentials; {@code null}
 *     when the broker-wide setting applies
 * @param certificateUsername the user name taken from a verified client certificate, or {@code
 *     null}; when present it is the user the connection is authorised as
 */
public record Peer(
    SocketAddress remoteAddress,
    String listenerName,
    Boolean allowAnonymous,
    String certificateUsername) {

  /** The IP address of {@code address}, or {@code null} when it has none (a local channel). */
  public static InetAddress inetAddressOf(SocketAddress address) {
    return address instanceof InetSocketAddress a ? a.getAddress() : null;
  }

  /** The client's IP address, or {@code null}. */
  public InetAddress inetAddress() {
    return inetAddressOf(remoteAddress);
  }
}
