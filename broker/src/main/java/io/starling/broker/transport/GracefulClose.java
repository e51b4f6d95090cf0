package io.starling.broker.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.starling.broker.threading.EventLoopOnly;
import java.util.concurrent.TimeUnit;

/**
 * How the broker ends a connection after its last packet (a refusing CONNACK, a DISCONNECT with a
 * reason): once the packet is written, the output is shut down (plain TCP: the client reads the
 * packet, then end of stream), and what the client still sends is read and discarded for at most
 * {@link #LINGER_MILLIS} before the socket closes. Closing a socket with unread input makes the
 * kernel answer with a reset, which can destroy the last packet in the client's receive buffer
 * before the client has read it; draining first lets the reason reach the client. The client's own
 * close ends the linger at once.
 */
final class GracefulClose {
  /** The longest the broker keeps reading a connection it has finished with. */
  static final long LINGER_MILLIS = 1_000;

  private GracefulClose() {}

  /** Once {@code written} is done, shuts the output, drains the input briefly, then closes. */
  @EventLoopOnly
  static void after(ChannelFuture written) {
    written.addListener(f -> linger(written.channel()));
  }

  private static void linger(Channel ch) {
    if (!ch.isActive()) {
      return;
    }
    var pipeline = ch.pipeline();
    if (pipeline.get("decoder") != null) {
      pipeline.replace("decoder", "discard", new Discard()); // nothing more is decoded
    }
    if (ch instanceof SocketChannel s
        && pipeline.get("tls") == null
        && pipeline.get("ws") == null) {
      s.shutdownOutput(); // TLS and WebSocket end with their own close messages: just drain
    }
    ch.config().setAutoRead(true);
    ch.eventLoop().schedule(() -> ch.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Reads and drops everything: the connection is over. */
  private static final class Discard extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a reset while draining: nothing is left to say
    }
  }
}
