package io.starling.broker.transport;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.starling.broker.BrokerContext;
import io.starling.codec.CodecLimits;
import io.starling.codec.MqttVersion;
import io.starling.codec.netty.MqttDecoder;
import io.starling.codec.netty.MqttEncoder;

/**
 * The handlers of one MQTT connection, from socket to session:
 *
 * <pre>
 *   bytes -> ByteCounter -> FlushConsolidation -> MqttDecoder -> MqttEncoder -> MqttConnection
 * </pre>
 *
 * One instance per listener; the stateless handlers are shared by all its connections.
 */
public final class MqttPipeline {
  private static final MqttEncoder ENCODER =
      new MqttEncoder(
          ctx -> {
            MqttVersion v = ctx.channel().attr(ChannelAttributes.VERSION).get();
            return v == null ? MqttVersion.V3_1_1 : v;
          });

  private final BrokerContext broker;
  private final ByteCounter byteCounter;
  private final CodecLimits limits;

  public MqttPipeline(BrokerContext broker) {
    this.broker = broker;
    this.byteCounter = new ByteCounter(broker.stats());
    int maxPacket = broker.config().limits().maxPacketSizeBytes();
    CodecLimits d = CodecLimits.DEFAULTS;
    this.limits =
        new CodecLimits(
            maxPacket,
            Math.min(maxPacket, d.maxConnectPacketSizeBytes()),
            d.maxUserProperties(),
            d.maxFiltersPerPacket());
  }

  /** Adds the MQTT handlers to a new connection's pipeline. */
  public void configure(ChannelPipeline pipeline) {
    pipeline.addLast("bytes", byteCounter);
    // While this client's packets are being read, its own flushes wait for the end of the read
    // batch. Flushes from deliveries are already one per session per batch and go out at once:
    // deferring them to a task lets a flood of reads starve subscribers.
    pipeline.addLast("flush", new FlushConsolidationHandler(256, false));
    pipeline.addLast("decoder", MqttDecoder.forServer(limits));
    pipeline.addLast("encoder", ENCODER);
    pipeline.addLast("mqtt", new MqttConnection(broker));
  }
}
