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
import io.starling.client.MqttClientException;
import io.starling.codec.CodecLimits;
import io.starling.codec.netty.MqttDecoder;
import io.starling.codec.netty.MqttEncoder;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * Builds a connection's pipeline: [TLS] [HTTP + WebSocket + frames] MQTT decoder, encoder,
 * keep-alive timer, and the {@link ConnectionHandler}.
 */
final class Pipelines extends ChannelInitializer<Channel> {
  static final String IDLE = "idle";

  /** Packets the broker sends us may use the whole protocol range; the broker is trusted. */
  private static final CodecLimits LIMITS =
      CodecLimits.DEFAULTS.withMaxPacketSizeBytes(CodecLimits.PROTOCOL_MAX_PACKET_SIZE);

  private final ClientConfig config;
  private final SslContext ssl;
  private final ClientCore core;

  Pipelines(ClientConfig config, ClientCore core) {
    this.config = config;
    this.core = core;
    this.ssl = config.transport().isTls() ? sslContext(config) : null;
  }

  @Override
  protected void initChannel(Channel ch) {
    ChannelPipeline p = ch.pipeline();
    if (ssl != null) {
      p.addLast("tls", ssl.newHandler(ch.alloc(), config.host(), config.port()));
    }
    if (config.transport().isWebSocket()) {
      String scheme = config.transport().isTls() ? "wss" : "ws";
      URI uri =
          URI.create(scheme + "://" + config.host() + ":" + config.port() + config.webSocketPath());
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
    p.addLast("decoder", MqttDecoder.forClient(LIMITS, config.version()));
    p.addLast("encoder", MqttEncoder.of(config.version()));
    p.addLast(IDLE, idleHandler(config.keepAliveSeconds()));
    p.addLast("mqtt", new ConnectionHandler(core, config.transport().isWebSocket()));
  }

  /**
   * Sends PINGREQ after {@code keepAliveSeconds} without writing, and gives up on the connection
   * after one and a half times that without reading [MQTT-3.1.2-24].
   */
  static IdleStateHandler idleHandler(int keepAliveSeconds) {
    long writeMillis = keepAliveSeconds * 1000L;
    long readMillis = keepAliveSeconds * 1500L;
    return new IdleStateHandler(readMillis, writeMillis, 0, TimeUnit.MILLISECONDS);
  }

  private static SslContext sslContext(ClientConfig c) {
    try {
      SslContextBuilder b = SslContextBuilder.forClient();
      if (c.caFile() != null) {
        b.trustManager(c.caFile().toFile());
      }
      if (c.certFile() != null) {
        b.keyManager(c.certFile().toFile(), c.keyFile().toFile());
      }
      return b.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new MqttClientException("cannot read the TLS files: " + e.getMessage(), e);
    }
  }
}
