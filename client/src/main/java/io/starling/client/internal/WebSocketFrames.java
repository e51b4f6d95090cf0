package io.starling.client.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Carries MQTT bytes in binary WebSocket frames. MQTT packets need not line up with frames (a frame
 * may hold part of a packet or several), so inbound frame contents go on to the MQTT decoder as a
 * byte stream, and every outbound buffer becomes one frame.
 */
final class WebSocketFrames extends ChannelDuplexHandler {
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof BinaryWebSocketFrame || msg instanceof ContinuationWebSocketFrame) {
      ctx.fireChannelRead(((io.netty.buffer.ByteBufHolder) msg).content());
    } else {
      // Text frames are not MQTT [MQTT-6.0.0-1]; ping/close are handled before this handler.
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf buf) {
      ctx.write(new BinaryWebSocketFrame(buf), promise);
    } else {
      ctx.write(msg, promise);
    }
  }
}
