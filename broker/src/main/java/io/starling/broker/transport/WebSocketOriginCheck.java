package io.starling.broker.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses a WebSocket upgrade whose {@code Origin} header is not in the listener's allowed list,
 * with 403 Forbidden, so that a web page from another site cannot make a visitor's browser talk to
 * the broker. Requests without the header (non-browser clients) pass. Removes itself once the first
 * request has passed. Runs on the channel's event loop.
 */
final class WebSocketOriginCheck extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(WebSocketOriginCheck.class);

  private final Set<String> allowed;

  /** {@code allowed}: origins such as {@code https://example.com}; compared ignoring case. */
  WebSocketOriginCheck(List<String> allowed) {
    this.allowed =
        allowed.stream().map(o -> o.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof FullHttpRequest request) {
      String origin = request.headers().get(HttpHeaderNames.ORIGIN);
      if (origin != null && !allowed.contains(origin.toLowerCase(Locale.ROOT))) {
        log.debug("{}: WebSocket origin {} not allowed", ctx.channel(), origin);
        request.release();
        var response =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN, Unpooled.EMPTY_BUFFER);
        response.headers().set("connection", "close").set("content-length", "0");
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      ctx.pipeline().remove(this);
    }
    ctx.fireChannelRead(msg);
  }
}
