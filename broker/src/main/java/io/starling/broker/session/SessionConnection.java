package io.starling.broker.session;

import io.netty.channel.EventLoop;
import io.starling.codec.packet.MqttPacket;

/** What a session needs of the network connection it is attached to. Event-loop only. */
public interface SessionConnection {
  /** The connection's event loop, which owns the session while it is attached. */
  EventLoop eventLoop();

  /** Queues a packet for writing; {@link #flush()} sends it. Takes ownership of the packet. */
  void write(MqttPacket packet);

  /** Sends everything written so far. */
  void flush();

  /** Whether the socket can take more writes without buffering past its high-water mark. */
  boolean isWritable();

  /** Ends the connection because another one took its session over [MQTT-3.1.4-2]. */
  void closeForTakeover();
}
