package io.starling.client.internal;

import io.netty.handler.ssl.SslContext;
import io.starling.codec.MqttVersion;

/**
 * What a connection's pipeline needs to know: where the broker is, how to reach it, and what the
 * codec speaks. Immutable.
 *
 * @param host the broker's host name or address (also the TLS server name)
 * @param port the broker's port
 * @param ssl the TLS context, or {@code null} for a plain connection
 * @param webSocket whether MQTT travels in WebSocket frames
 * @param webSocketPath the HTTP path of the WebSocket endpoint (used when {@code webSocket})
 * @param version the protocol version of the decoder and encoder
 * @param keepAliveSeconds the keep-alive until the broker says otherwise; 0 for none
 */
public record TransportSettings(
    String host,
    int port,
    SslContext ssl,
    boolean webSocket,
    String webSocketPath,
    MqttVersion version,
    int keepAliveSeconds) {}
