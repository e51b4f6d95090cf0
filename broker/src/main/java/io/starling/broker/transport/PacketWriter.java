package io.starling.broker.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.MqttVersion;
import io.starling.codec.PacketType;
import io.starling.codec.netty.MqttEncoder;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Publish;
import io.starling.codec.wire.PacketEncoder;
import java.util.function.Consumer;

/**
 * Every packet the broker sends to one client goes through here: an outbound PUBLISH gets its topic
 * alias (5.0, when the client allowed some), then the packet is encoded for the client's version
 * with {@link MqttEncoder#encode} and written to the channel without a flush. Counts each packet in
 * {@link BrokerStats#messagesSent} and its bytes in {@link BrokerStats#bytesSent}.
 *
 * <p>Every other packet (the replies to what the client sends: CONNACK, PUBACK, PUBREC, PUBREL,
 * PUBCOMP, SUBACK, UNSUBACK, PINGRESP, DISCONNECT, AUTH) is copied, in order, into one buffer of
 * small packets that is written out before the next PUBLISH, at {@link #flush}, and whenever it
 * holds {@value #SMALL_PACKETS_MAX_BYTES} bytes. An entry in the channel's outbound buffer costs
 * about a hundred bytes of heap besides its bytes, so a client that sends a read's worth (64 KiB)
 * of PINGREQ would otherwise make the broker hold 32 Ki entries, some megabytes, before its
 * outbound buffer is over the high-water mark and it stops being read (see {@link WriteBacklog});
 * this way the replies to one read take at most 64 KiB in 16 entries, and Netty counts them against
 * the high-water mark while the read is still being processed.
 *
 * <p>Encoding here rather than in an encoder handler saves one handler on every connection. Every
 * flush of the connection goes through {@link #flush} (a flush of the channel context alone would
 * leave the small packets behind). One instance per connection, made when the connection's handler
 * is added; runs on the channel's event loop only.
 */
@EventLoopOnly
final class PacketWriter {
  /** The buffer of small packets is written out once it holds this much. */
  static final int SMALL_PACKETS_MAX_BYTES = 4096;

  /** The first capacity of a buffer of small packets; it grows as they come. */
  private static final int SMALL_PACKETS_FIRST_BYTES = 64;

  private final ChannelHandlerContext ctx;
  private final BrokerStats stats;

  /** Small packets written since the last flush, not yet handed to the channel; or null. */
  private ByteBuf small;

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
    boolean isPublish = packet.type() == PacketType.PUBLISH;
    if (aliases != null && isPublish) {
      packet = aliases.apply((Publish) packet);
    }
    try {
      if (isPublish || !ctx.channel().isActive()) {
        writeSmallPackets();
        stats.bytesSent.add(MqttEncoder.encode(packet, version, ctx.alloc(), sink));
      } else {
        stats.bytesSent.add(addSmall(PacketEncoder.encode(packet, version, ctx.alloc())));
      }
      stats.messagesSent.increment();
    } finally {
      ReferenceCountUtil.release(packet);
    }
  }

  /**
   * Copies an encoded packet behind the small packets (one larger than half of them goes alone).
   */
  private int addSmall(ByteBuf encoded) {
    int bytes = encoded.readableBytes();
    if (bytes > SMALL_PACKETS_MAX_BYTES / 2) {
      writeSmallPackets();
      ctx.write(encoded, ctx.voidPromise());
      return bytes;
    }
    if (small != null && small.readableBytes() + bytes > SMALL_PACKETS_MAX_BYTES) {
      writeSmallPackets();
    }
    if (small == null) {
      small =
          ctx.alloc().buffer(Math.max(SMALL_PACKETS_FIRST_BYTES, bytes), SMALL_PACKETS_MAX_BYTES);
    }
    small.writeBytes(encoded);
    encoded.release();
    return bytes;
  }

  /** Hands the small packets written so far to the channel, behind what was written before. */
  private void writeSmallPackets() {
    if (small != null) {
      ByteBuf b = small;
      small = null;
      ctx.write(b, ctx.voidPromise());
    }
  }

  /** Sends everything written so far. */
  void flush() {
    writeSmallPackets();
    ctx.flush();
  }

  /** Sends everything written so far, then closes the connection. */
  void flushAndClose() {
    writeSmallPackets();
    GracefulClose.after(ctx.writeAndFlush(Unpooled.EMPTY_BUFFER));
  }

  /** Lets go of small packets not yet handed to the channel: the connection has ended. */
  void discard() {
    if (small != null) {
      small.release();
      small = null;
    }
  }
}
