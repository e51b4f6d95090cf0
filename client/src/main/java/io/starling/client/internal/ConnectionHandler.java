package io.starling.client.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingReq;

/** One connection's events, passed on to its {@link ConnectionEvents}; on its event loop. */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
  private final ConnectionEvents events;
  private final boolean webSocket;

  ConnectionHandler(ConnectionEvents events, boolean webSocket) {
    this.events = events;
    this.webSocket = webSocket;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (!webSocket) {
      events.transportReady(ctx.channel());
    }
    ctx.fireChannelActive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
      events.transportReady(ctx.channel());
    } else if (evt instanceof IdleStateEvent idle) {
      if (idle.state() == IdleState.WRITER_IDLE) {
        ctx.writeAndFlush(PingReq.INSTANCE, ctx.voidPromise());
      } else if (idle.state() == IdleState.READER_IDLE) {
        events.connectionFailed(ctx.channel(), "no answer from the broker within the keep-alive");
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof MqttPacket packet) {
      try {
        events.packet(ctx.channel(), packet);
      } finally {
        ReferenceCountUtil.release(msg);
      }
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    events.closed(ctx.channel());
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    events.connectionFailed(ctx.channel(), String.valueOf(cause.getMessage()));
  }
}
