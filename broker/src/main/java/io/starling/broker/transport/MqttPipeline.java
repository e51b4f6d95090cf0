package io.starling.broker.transport;

import io.netty.channel.ChannelPipeline;
import io.starling.broker.BrokerContext;
import io.starling.codec.CodecLimits;
import io.starling.codec.MqttVersion;
import io.starling.codec.netty.MqttDecoder;
import io.starling.codec.netty.MqttEncoder;

/**
 * The handlers of one MQTT connection, from socket to session:
 *
 * <pre>
 *   bytes -> MqttDecoder -> MqttEncoder -> MqttConnection
 * </pre>
 *
 * Three handlers per connection and nothing else, because every handler costs memory on every idle
 * connection. There is no flush-consolidation handler: the connection flushes once per read batch
 * and deliveries once per session per batch. One instance per listener; the encoder is shared by
 * all its connections.
 */
public final class MqttPipeline {
  private final BrokerContext broker;
  private final MqttEncoder encoder;
  private final CodecLimits limits;

  public MqttPipeline(BrokerContext broker) {
    this.broker = broker;
    this.encoder =
        new MqttEncoder(
            ctx -> {
              MqttVersion v = ctx.channel().attr(ChannelAttributes.VERSION).get();
              return v == null ? MqttVersion.V3_1_1 : v;
            },
            broker.stats().bytesSent::add);
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
    pipeline.addLast("decoder", MqttDecoder.forServer(limits));
    pipeline.addLast("encoder", encoder);
    pipeline.addLast("mqtt", new MqttConnection(broker));
  }
}
