package io.starling.broker.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
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

  /**
   * Queues one delivery of a shared message, from the delivery's own fields (the connection adds a
   * topic alias where the client allows): no PUBLISH packet is built per subscriber. {@link
   * #flush()} sends it. The payload stays the caller's. The default builds a PUBLISH and writes it.
   *
   * @param packetId ignored at QoS 0
   * @param properties the delivery's properties (5.0 only)
   */
  default void writePublish(
      String topic,
      QoS qos,
      boolean retain,
      boolean dup,
      int packetId,
      Properties properties,
      ByteBuf payload) {
    write(new Publish(topic, qos, retain, dup, packetId, properties, payload.retainedDuplicate()));
  }

  /**
   * Whether a PUBLISH with these fields is within the client's Maximum Packet Size [MQTT-3.1.2-24].
   */
  default boolean fits(String topic, QoS qos, Properties properties, int payloadBytes) {
    return true;
  }
}
