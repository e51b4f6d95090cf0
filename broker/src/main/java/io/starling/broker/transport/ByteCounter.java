package io.starling.broker.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.starling.broker.sys.BrokerStats;

/** Counts bytes in and out of every connection, for {@code $SYS}. */
@Sharable
final class ByteCounter extends ChannelDuplexHandler {
  private final BrokerStats stats;

  ByteCounter(BrokerStats stats) {
    this.stats = stats;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b) {
      stats.bytesReceived.add(b.readableBytes());
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf b) {
      stats.bytesSent.add(b.readableBytes());
    }
    ctx.write(msg, promise);
  }
}
