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
import io.starling.broker.logging.LogText;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses a WebSocket upgrade whose {@code Origin} header is not allowed, with 403 Forbidden, so
 * that a web page from another site cannot make a visitor's browser talk to the broker. Allowed are
 * the origins of the listener's {@code allowed_origins}; when that list is empty and the listener
 * lets anonymous clients in, only a page served from the broker's own host and port (the {@code
 * Origin} matches the {@code Host} header), since any page on the internet could otherwise use a
 * visitor's browser as an anonymous client inside the visitor's network. Requests without the
 * header (non-browser clients) always pass. Removes itself once the first request has passed. Runs
 * on the channel's event loop.
 */
final class WebSocketOriginCheck extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(WebSocketOriginCheck.class);

  /** The {@code allowed_origins} entry that lets every origin in. */
  static final String ANY = "*";

  private final Set<String> allowed;

  /** {@code allowed}: origins such as {@code https://example.com}; compared ignoring case. */
  private WebSocketOriginCheck(List<String> allowed) {
    this.allowed =
        allowed.stream().map(o -> o.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
  }

  /**
   * The check for a listener, or {@code null} when every origin may connect: {@code allowed} holds
   * {@code "*"}, or is empty on a listener that needs credentials (a page cannot know them).
   */
  static WebSocketOriginCheck of(List<String> allowed, boolean anonymous) {
    if (allowed.contains(ANY) || (allowed.isEmpty() && !anonymous)) {
      return null;
    }
    return new WebSocketOriginCheck(allowed);
  }

  private boolean isAllowed(String origin, String host) {
    String o = origin.toLowerCase(Locale.ROOT);
    if (!allowed.isEmpty()) {
      return allowed.contains(o);
    }
    // Same origin only: "scheme://host[:port]" names the Host header's "host[:port]".
    int scheme = o.indexOf("://");
    return host != null
        && scheme > 0
        && o.substring(scheme + 3).equals(host.toLowerCase(Locale.ROOT));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof FullHttpRequest request) {
      String origin = request.headers().get(HttpHeaderNames.ORIGIN);
      String host = request.headers().get(HttpHeaderNames.HOST);
      if (origin != null && !isAllowed(origin, host)) {
        log.debug("{}: WebSocket origin {} not allowed", ctx.channel(), LogText.untrusted(origin));
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
