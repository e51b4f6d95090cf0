package io.starling.client;

import io.starling.codec.MqttVersion;
import io.starling.codec.packet.UserProperty;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/** Everything the builder collected; validated by the builder. */
record ClientConfig(
    String host,
    int port,
    Transport transport,
    String webSocketPath,
    Path caFile,
    Path certFile,
    Path keyFile,
    MqttVersion version,
    String clientId,
    boolean cleanStart,
    int keepAliveSeconds,
    long sessionExpirySeconds,
    String username,
    byte[] password,
    Message will,
    List<UserProperty> connectUserProperties,
    int receiveMaximum,
    int maxInflight,
    int offlineBufferMessages,
    boolean automaticReconnect,
    Duration reconnectMinDelay,
    Duration reconnectMaxDelay,
    Duration connectTimeout,
    EnhancedAuth enhancedAuth,
    Executor callbackExecutor,
    Consumer<Message> defaultHandler) {}
