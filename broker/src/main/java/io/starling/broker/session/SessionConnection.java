package io.starling.broker.session;

import io.netty.channel.EventLoop;
import io.starling.codec.MqttVersion;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Publish;

/**
 * What a session needs of the network connection it is attached to, so that the session layer never
 * sees the transport. Every method runs on the connection's event loop.
 */
public interface SessionConnection {
  /** The connection's event loop, which owns the session while it is attached. */
  EventLoop eventLoop();

  /** Queues a packet for writing; {@link #flush()} sends it. Takes ownership of the packet. */
  void write(MqttPacket packet);

  /** Sends everything written so far. */
  void flush();

  /** Whether the socket can take more writes without buffering past its high-water mark. */
  boolean isWritable();

  /**
   * The session is this connection's now, {@code present} telling whether it had state from before
   * (CONNACK's session-present flag). Called on {@link #eventLoop()} once a takeover is done.
   */
  void onSessionReady(Session session, boolean present);

  /** Ends the connection because another one took its session over [MQTT-3.1.4-2]. */
  void closeForTakeover();

  /**
   * Ends the connection because its client took nothing (no queued message, no acknowledgement) for
   * {@code timeoutSeconds} while its full queue held publishers back: a 5.0 client is told with
   * DISCONNECT 0x97 (Quota exceeded). The session goes offline as for any other end of connection,
   * keeping its queue if it is persistent.
   */
  default void closeForSlowSubscriber(int timeoutSeconds) {}

  /** Closes the connection because the broker is stopping; no will is published. */
  default void closeForShutdown() {}

  /** The client's protocol version. */
  default MqttVersion version() {
    return MqttVersion.V3_1_1;
  }

  /**
   * How many QoS 1 and 2 messages the client takes unacknowledged at once: its Receive Maximum
   * [MQTT-3.3.4-9]; 65535 when it set none or speaks an earlier version.
   */
  default int receiveMaximum() {
    return 65535;
  }

  /** Whether a PUBLISH is within the client's Maximum Packet Size [MQTT-3.1.2-24]. */
  default boolean fits(Publish publish) {
    return true;
  }
}
