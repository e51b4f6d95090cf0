package io.starling.broker.transport;

import io.netty.channel.ChannelPipeline;
import io.netty.util.concurrent.EventExecutor;
import io.starling.codec.CodecLimits;
import io.starling.codec.netty.MqttDecoder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The handlers of one MQTT connection, from socket to session:
 *
 * <pre>
 *   bytes -> MqttDecoder -> MqttConnection
 *   MqttConnection's PacketWriter (encodes what the connection writes) -> bytes
 * </pre>
 *
 * Two handlers per plain TCP connection and nothing else, because every handler costs memory on
 * every idle connection: there is no encoder handler, the connection encodes what it writes itself.
 * {@link ListenerInitializer} puts TLS and WebSocket handlers in front of them for the other
 * listener kinds. There is no flush-consolidation handler: the connection flushes once per read
 * batch and deliveries once per session per batch. One instance per listener, sharing its decoder
 * limits; every connection gets a decoder and a connection handler of its own. {@link #configure}
 * runs on the new channel's event loop.
 */
public final class MqttPipeline {
  private final BrokerContext broker;
  private final CodecLimits limits;

  /**
   * One timer wheel per event loop, for the connect timeouts and keep-alives of its connections.
   */
  private final Map<EventExecutor, TimerWheel> wheels = new ConcurrentHashMap<>();

  private final Function<EventExecutor, TimerWheel> wheelOf =
      loop -> wheels.computeIfAbsent(loop, TimerWheel::new);

  public MqttPipeline(BrokerContext broker) {
    this.broker = broker;
    int maxPacket = broker.config().limits().maxPacketSizeBytes();
    CodecLimits d = CodecLimits.DEFAULTS;
    this.limits =
        new CodecLimits(
            maxPacket,
            Math.min(maxPacket, d.maxConnectPacketSizeBytes()),
            d.maxUserProperties(),
            CodecLimits.filtersFor(maxPacket));
  }

  /** Adds the MQTT handlers to a new connection's pipeline. */
  public void configure(ChannelPipeline pipeline) {
    pipeline.addLast("decoder", MqttDecoder.forServer(limits));
    pipeline.addLast("mqtt", new MqttConnection(broker, wheelOf));
  }
}
