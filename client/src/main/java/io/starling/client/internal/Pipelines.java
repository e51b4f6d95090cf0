package io.starling.client.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import io.starling.codec.CodecLimits;
import io.starling.codec.netty.MqttDecoder;
import io.starling.codec.netty.MqttEncoder;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * Builds a connection's pipeline: [TLS] [HTTP + WebSocket + frames] MQTT decoder, encoder,
 * keep-alive timer, and the {@link ConnectionHandler} that reports to the {@link ConnectionEvents}.
 */
public final class Pipelines extends ChannelInitializer<Channel> {
  private static final String IDLE = "idle";

  /** Packets the broker sends us may use the whole protocol range; the broker is trusted. */
  private static final CodecLimits LIMITS =
      CodecLimits.DEFAULTS.withMaxPacketSizeBytes(CodecLimits.PROTOCOL_MAX_PACKET_SIZE);

  private final TransportSettings settings;
  private final ConnectionEvents events;

  public Pipelines(TransportSettings settings, ConnectionEvents events) {
    this.settings = settings;
    this.events = events;
  }

  @Override
  protected void initChannel(Channel ch) {
    TransportSettings s = settings;
    ChannelPipeline p = ch.pipeline();
    if (s.ssl() != null) {
      p.addLast("tls", s.ssl().newHandler(ch.alloc(), s.host(), s.port()));
    }
    if (s.webSocket()) {
      String scheme = s.ssl() != null ? "wss" : "ws";
      URI uri = URI.create(scheme + "://" + s.host() + ":" + s.port() + s.webSocketPath());
      p.addLast(new HttpClientCodec());
      p.addLast(new HttpObjectAggregator(64 * 1024));
      p.addLast(
          new WebSocketClientProtocolHandler(
              WebSocketClientHandshakerFactory.newHandshaker(
                  uri,
                  WebSocketVersion.V13,
                  "mqtt",
                  false,
                  EmptyHttpHeaders.INSTANCE,
                  CodecLimits.PROTOCOL_MAX_PACKET_SIZE)));
      p.addLast(new WebSocketFrames());
    }
    p.addLast("decoder", MqttDecoder.forClient(LIMITS, s.version()));
    p.addLast("encoder", MqttEncoder.of(s.version()));
    p.addLast(IDLE, idleHandler(s.keepAliveSeconds()));
    p.addLast("mqtt", new ConnectionHandler(events, s.webSocket()));
  }

  /**
   * Replaces the keep-alive timer of a connection, for the broker's Server Keep Alive (MQTT 5.0).
   * On the channel's event loop.
   */
  public static void keepAlive(Channel ch, int keepAliveSeconds) {
    ch.pipeline().replace(IDLE, IDLE, idleHandler(keepAliveSeconds));
  }

  /**
   * Sends PINGREQ after {@code keepAliveSeconds} without writing, and gives up on the connection
   * after one and a half times that without reading [MQTT-3.1.2-24].
   */
  private static IdleStateHandler idleHandler(int keepAliveSeconds) {
    long writeMillis = keepAliveSeconds * 1000L;
    long readMillis = keepAliveSeconds * 1500L;
    return new IdleStateHandler(readMillis, writeMillis, 0, TimeUnit.MILLISECONDS);
  }

  /**
   * A client TLS context from PEM files.
   *
   * @param caFile certificates to trust, or {@code null} for the JVM's default trust store
   * @param certFile the client certificate chain, or {@code null} for none
   * @param keyFile the client's private key (PKCS#8), used with {@code certFile}
   * @throws SSLException or {@link IllegalArgumentException} if a file cannot be read
   */
  public static SslContext sslContext(Path caFile, Path certFile, Path keyFile)
      throws SSLException {
    SslContextBuilder b = SslContextBuilder.forClient();
    if (caFile != null) {
      b.trustManager(caFile.toFile());
    }
    if (certFile != null) {
      b.keyManager(certFile.toFile(), keyFile.toFile());
    }
    return b.build();
  }
}
