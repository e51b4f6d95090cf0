package io.starling.broker.transport;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.starling.broker.config.BrokerConfig.Listener;
import io.starling.broker.config.TlsConfig.CertificateUsername;
import io.starling.broker.config.WebSocketConfig;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the pipeline of each connection a listener accepts, by the listener's kind:
 *
 * <pre>
 *   tcp:  MqttDecoder, MqttConnection
 *   tls:  SslHandler, MqttDecoder, MqttConnection
 *   ws:   HttpServerCodec, HttpObjectAggregator, [origin check], WebSocketServerProtocolHandler,
 *         WebSocketFrameAdapter, MqttDecoder, MqttConnection
 *   wss:  SslHandler, then as ws
 * </pre>
 *
 * The tcp pipeline is exactly the MQTT handlers: every handler costs memory on every idle
 * connection. The TLS handshake must finish within {@code limits.connect_timeout_seconds}. One
 * instance per listener; {@link #initChannel} runs on the new channel's event loop.
 */
public final class ListenerInitializer extends ChannelInitializer<SocketChannel> {
  private static final Logger log = LoggerFactory.getLogger(ListenerInitializer.class);

  /** Subprotocols offered: MQTT 3.1.1 and 5.0 say "mqtt", MQTT 3.1 clients ask "mqttv3.1". */
  static final String SUBPROTOCOLS = "mqtt,mqttv3.1";

  /**
   * How each connection sizes its read buffers: one instance for all (Netty makes one per channel
   * otherwise; it is stateless, and each channel still gets its own handle). Up to {@value
   * #READS_PER_EVENT} reads per readiness event, as Netty gives a stream channel by default: an
   * allocator set by hand reads once, which cut fan-in throughput by a seventh.
   */
  private static final int READS_PER_EVENT = 16;

  private static final RecvByteBufAllocator READ_BUFFERS =
      new AdaptiveRecvByteBufAllocator().maxMessagesPerRead(READS_PER_EVENT);

  /** The HTTP upgrade request has no body: its headers are all the aggregator has to hold. */
  private static final int MAX_HTTP_REQUEST_BYTES = 8192;

  private final Listener listener;
  private final MqttPipeline mqtt;
  private final TlsContextSource tls;
  private final long handshakeTimeoutMillis;
  private final WebSocketServerProtocolConfig webSocket;
  private final boolean anonymous;
  private final AtomicInteger open = new AtomicInteger();

  /**
   * @param tls the listener's TLS context; null for tcp and ws
   */
  public ListenerInitializer(BrokerContext broker, Listener listener, TlsContextSource tls) {
    this.listener = listener;
    this.mqtt = new MqttPipeline(broker);
    this.tls = tls;
    var limits = broker.config().limits();
    this.anonymous =
        listener.allowAnonymous() != null
            ? listener.allowAnonymous()
            : broker.config().security().anonymousAllowed();
    this.handshakeTimeoutMillis = TimeUnit.SECONDS.toMillis(limits.connectTimeoutSeconds());
    this.webSocket =
        listener.kind().isWebSocket()
            ? webSocketConfig(listener.websocket(), limits.maxPacketSizeBytes())
            : null;
  }

  private WebSocketServerProtocolConfig webSocketConfig(WebSocketConfig ws, int maxPacketBytes) {
    return WebSocketServerProtocolConfig.newBuilder()
        .websocketPath(ws.path())
        .subprotocols(SUBPROTOCOLS)
        .handshakeTimeoutMillis(handshakeTimeoutMillis)
        // A frame may pack several packets; the MQTT decoder still checks each packet's size.
        .maxFramePayloadLength(Math.max(65536, maxPacketBytes + 5))
        .allowMaskMismatch(false)
        .dropPongFrames(true)
        .build();
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    if (listener.maxConnections() > 0 && !admit(ch)) {
      return;
    }
    ch.config().setRecvByteBufAllocator(READ_BUFFERS);
    ChannelPipeline p = ch.pipeline();
    if (tls != null) {
      SslHandler ssl = tls.current().newHandler(ch.alloc());
      ssl.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
      p.addLast("tls", ssl);
      CertificateUsername field = tls.config().certificateUsername();
      if (field != CertificateUsername.NONE) {
        // Runs on the event loop when the handshake completes, before any MQTT byte is decoded.
        ssl.handshakeFuture().addListener(f -> onHandshake(f, ssl, ch, field));
      }
    }
    if (webSocket != null) {
      p.addLast("http", new HttpServerCodec());
      p.addLast("http-aggregator", new HttpObjectAggregator(MAX_HTTP_REQUEST_BYTES));
      var origins = WebSocketOriginCheck.of(listener.websocket().allowedOrigins(), anonymous);
      if (origins != null) {
        p.addLast("ws-origin", origins);
      }
      p.addLast("ws", new WebSocketServerProtocolHandler(webSocket));
      p.addLast("ws-frames", new WebSocketFrameAdapter());
    }
    mqtt.configure(p);
  }

  /** Counts the socket against the listener's cap, or closes it when the listener is full. */
  private boolean admit(SocketChannel ch) {
    if (open.incrementAndGet() > listener.maxConnections()) {
      open.decrementAndGet();
      log.debug("listener '{}' is full, closing {}", listener.name(), ch.remoteAddress());
      ch.close();
      return false;
    }
    ch.closeFuture().addListener(f -> open.decrementAndGet());
    return true;
  }

  private static void onHandshake(
      Future<?> f, SslHandler ssl, SocketChannel ch, CertificateUsername field) {
    if (!f.isSuccess()) {
      return;
    }
    try {
      var certs = ssl.engine().getSession().getPeerCertificates();
      if (certs.length > 0 && certs[0] instanceof X509Certificate cert) {
        String name = CertificateUsernames.of(cert, field);
        if (name != null) {
          ch.attr(ConnectionAttributes.CERTIFICATE_USERNAME).set(name);
        }
      }
    } catch (SSLPeerUnverifiedException e) {
      // client_auth: request and the client sent no certificate: it has no proved user name (one
      // in CONNECT counts only if an authenticator accepts it; see Security.login).
    }
  }
}
