package io.starling.client.internal;

import io.netty.channel.Channel;
import io.starling.codec.packet.MqttPacket;

/**
 * What a connection's pipeline reports to the client that owns it. Every method is called on the
 * channel's event loop; {@code ch} tells which connection, so that the late events of a connection
 * already replaced can be ignored.
 */
public interface ConnectionEvents {
  /** TCP (and TLS, and the WebSocket handshake) is up: CONNECT can be sent. */
  void transportReady(Channel ch);

  /** The connection is of no use any more ({@code reason} is for people); close it. */
  void connectionFailed(Channel ch, String reason);

  /** A packet from the broker; the caller releases it after this returns. */
  void packet(Channel ch, MqttPacket packet);

  /** The channel is closed. */
  void closed(Channel ch);
}
