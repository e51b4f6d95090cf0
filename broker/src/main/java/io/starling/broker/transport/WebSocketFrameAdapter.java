package io.starling.broker.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Between the WebSocket codec and the MQTT decoder: the payload of each binary frame goes on as
 * bytes, so MQTT packets may be split across frames or several packed into one (the decoder
 * reassembles them). What the connection writes between two flushes leaves as one binary frame (at
 * most {@value #MAX_FRAME_BYTES} bytes, or one larger packet alone): a delivery of many messages
 * costs one frame header, not one per packet and payload buffer.
 *
 * <pre>
 *   BinaryWebSocketFrame / ContinuationWebSocketFrame -> ByteBuf -> MqttDecoder
 *   MqttConnection -> ByteBuf -> BinaryWebSocketFrame
 * </pre>
 *
 * A text frame closes the connection [MQTT-6.0.0-1]. An HTTP request for another path gets 404.
 * Faults of the HTTP and WebSocket layers (bad handshake, corrupt frame, TLS error) close the
 * connection and are logged at DEBUG: they are the client's. One instance per connection; runs on
 * its event loop.
 */
final class WebSocketFrameAdapter extends ChannelDuplexHandler {
  private static final Logger log = LoggerFactory.getLogger(WebSocketFrameAdapter.class);

  /** Bytes gathered into one outgoing frame before it is sent even without a flush. */
  static final int MAX_FRAME_BYTES = 64 << 10;

  /** Buffers gathered into one outgoing frame, so that the composite never copies. */
  private static final int MAX_FRAME_BUFFERS = 256;

  /** What was written since the last flush; null when nothing was. */
  private CompositeByteBuf pending;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof BinaryWebSocketFrame || msg instanceof ContinuationWebSocketFrame) {
      // The frame and its content share one reference count: passing the content passes it on.
      ctx.fireChannelRead(((WebSocketFrame) msg).content());
    } else if (msg instanceof FullHttpRequest request) {
      log.debug("{}: HTTP request for {}, not the WebSocket path", ctx.channel(), request.uri());
      request.release();
      var response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND, Unpooled.EMPTY_BUFFER);
      response.headers().set("connection", "close").set("content-length", "0");
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    } else {
      // Text frames: MQTT travels in binary frames only [MQTT-6.0.0-1].
      log.debug("{}: {} received, closing", ctx.channel(), msg.getClass().getSimpleName());
      ReferenceCountUtil.release(msg);
      ctx.close();
    }
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!(msg instanceof ByteBuf buf) || !buf.isReadable()) {
      writePending(ctx);
      ctx.write(msg, promise);
      return;
    }
    if (!promise.isVoid()) {
      // Someone waits for this write: it goes alone, after what came before it.
      writePending(ctx);
      ctx.write(new BinaryWebSocketFrame(buf), promise);
      return;
    }
    if (pending != null
        && (pending.readableBytes() + buf.readableBytes() > MAX_FRAME_BYTES
            || pending.numComponents() >= MAX_FRAME_BUFFERS)) {
      writePending(ctx);
    }
    if (pending == null) {
      pending = ctx.alloc().compositeBuffer(MAX_FRAME_BUFFERS);
    }
    pending.addComponent(true, buf);
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    writePending(ctx);
    ctx.flush();
  }

  private void writePending(ChannelHandlerContext ctx) {
    if (pending != null) {
      ctx.write(new BinaryWebSocketFrame(pending), ctx.voidPromise());
      pending = null;
    }
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    // As on a plain socket, what was written but not flushed is dropped when the channel closes.
    releasePending();
    ctx.close(promise);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releasePending();
  }

  private void releasePending() {
    if (pending != null) {
      pending.release();
      pending = null;
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("{}: {}, closing", ctx.channel(), cause.toString());
    ctx.close();
  }
}
