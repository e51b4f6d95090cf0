package io.starling.broker.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.MqttVersion;
import io.starling.codec.PacketType;
import io.starling.codec.netty.MqttEncoder;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Publish;
import java.util.function.Consumer;

/**
 * Every packet the broker sends to one client goes through here: an outbound PUBLISH gets its topic
 * alias (5.0, when the client allowed some), then the packet is encoded for the client's version
 * with {@link MqttEncoder#encode} and written to the channel without a flush. Counts each packet in
 * {@link BrokerStats#messagesSent} and its bytes in {@link BrokerStats#bytesSent}.
 *
 * <p>Encoding here rather than in an encoder handler saves one handler on every connection. One
 * instance per connection, made when the connection's handler is added; runs on the channel's event
 * loop only.
 */
@EventLoopOnly
final class PacketWriter {
  private final ChannelHandlerContext ctx;
  private final BrokerStats stats;

  /** Where encoded buffers go: made once, so that a write allocates no sink. */
  private final Consumer<ByteBuf> sink;

  private MqttVersion version = MqttVersion.V3_1_1;

  /** The connection's topic aliases when the client allowed outbound ones, otherwise null. */
  private TopicAliases aliases;

  /**
   * @param ctx the context of the connection's handler: buffers are written from it towards the
   *     socket (through TLS and WebSocket handlers, where the listener has them)
   */
  PacketWriter(ChannelHandlerContext ctx, BrokerStats stats) {
    this.ctx = ctx;
    this.stats = stats;
    this.sink = buf -> ctx.write(buf, ctx.voidPromise());
  }

  /** The version packets are encoded for: 3.1.1 until CONNECT says otherwise. */
  MqttVersion version() {
    return version;
  }

  /** Encodes what follows for {@code v}, once CONNECT (or a malformed one) told the version. */
  void useVersion(MqttVersion v) {
    this.version = v;
  }

  /** Gives outbound PUBLISH packets aliases from {@code a}, if the client allowed any. */
  void useAliases(TopicAliases a) {
    this.aliases = a != null && a.hasOutbound() ? a : null;
  }

  /** Encodes and writes a packet, without flushing. Takes ownership of (and releases) it. */
  void write(MqttPacket packet) {
    if (aliases != null && packet.type() == PacketType.PUBLISH) {
      packet = aliases.apply((Publish) packet);
    }
    try {
      stats.bytesSent.add(MqttEncoder.encode(packet, version, ctx.alloc(), sink));
      stats.messagesSent.increment();
    } finally {
      ReferenceCountUtil.release(packet);
    }
  }

  /** Sends everything written so far. */
  void flush() {
    ctx.flush();
  }

  /** Sends everything written so far, then closes the connection. */
  void flushAndClose() {
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }
}
