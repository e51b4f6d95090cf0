package io.starling.client;

import io.starling.codec.MqttVersion;
import io.starling.codec.packet.UserProperty;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Configures an {@link MqttClient}. Defaults: {@code localhost:1883} over TCP, MQTT 3.1.1, a random
 * client id, clean start, 60 s keep-alive, automatic reconnect from 100 ms up to 30 s, an offline
 * buffer of 10,000 messages, 100 messages in flight. Not thread-safe.
 */
public final class MqttClientBuilder {
  private String host = "localhost";
  private int port = -1;
  private Transport transport = Transport.TCP;
  private String webSocketPath = "/mqtt";
  private Path caFile;
  private Path certFile;
  private Path keyFile;
  private MqttVersion version = MqttVersion.V3_1_1;
  private String clientId = "";
  private boolean cleanStart = true;
  private int keepAliveSeconds = 60;
  private long sessionExpirySeconds;
  private String username;
  private byte[] password;
  private Message will;
  private final List<UserProperty> connectUserProperties = new ArrayList<>();
  private int receiveMaximum = 65_535;
  private int maxInflight = 100;
  private int offlineBufferMessages = 10_000;
  private boolean automaticReconnect = true;
  private Duration reconnectMinDelay = Duration.ofMillis(100);
  private Duration reconnectMaxDelay = Duration.ofSeconds(30);
  private Duration connectTimeout = Duration.ofSeconds(10);
  private EnhancedAuth enhancedAuth;
  private Executor callbackExecutor;
  private Consumer<Message> defaultHandler = m -> {};

  MqttClientBuilder() {}

  /** The broker's host name or address. */
  public MqttClientBuilder host(String host) {
    this.host = Objects.requireNonNull(host, "host");
    return this;
  }

  /** The broker's port; default 1883 (TCP), 8883 (TLS), 80 (WebSocket), 443 (secure WebSocket). */
  public MqttClientBuilder port(int port) {
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be 1 to 65535: " + port);
    }
    this.port = port;
    return this;
  }

  public MqttClientBuilder transport(Transport transport) {
    this.transport = Objects.requireNonNull(transport, "transport");
    return this;
  }

  /** The HTTP path of the WebSocket endpoint; default {@code /mqtt}. */
  public MqttClientBuilder webSocketPath(String path) {
    this.webSocketPath = Objects.requireNonNull(path, "path");
    return this;
  }

  /**
   * TLS files in PEM format; switches TCP to TLS (and WebSocket to secure WebSocket).
   *
   * @param caFile certificates to trust, or {@code null} for the JVM's default trust store
   * @param certFile the client certificate chain, or {@code null}
   * @param keyFile the client's PKCS#8 private key, or {@code null}; needed with {@code certFile}
   */
  public MqttClientBuilder tls(Path caFile, Path certFile, Path keyFile) {
    if ((certFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException("a client certificate needs its key file, and back");
    }
    this.caFile = caFile;
    this.certFile = certFile;
    this.keyFile = keyFile;
    if (!transport.isTls()) {
      transport = transport.isWebSocket() ? Transport.WEBSOCKET_TLS : Transport.TLS;
    }
    return this;
  }

  /** {@link MqttVersion#V3_1_1} or {@link MqttVersion#V5}. */
  public MqttClientBuilder version(MqttVersion version) {
    if (version == MqttVersion.V3_1) {
      throw new IllegalArgumentException("MQTT 3.1 is not supported by the client; use 3.1.1");
    }
    this.version = Objects.requireNonNull(version, "version");
    return this;
  }

  /** The client identifier; empty (the default) lets the broker assign one. */
  public MqttClientBuilder clientId(String clientId) {
    this.clientId = Objects.requireNonNull(clientId, "clientId");
    return this;
  }

  /** Clean session (3.1.1) or clean start (5.0); default true. */
  public MqttClientBuilder cleanStart(boolean cleanStart) {
    this.cleanStart = cleanStart;
    return this;
  }

  public MqttClientBuilder keepAliveSeconds(int seconds) {
    if (seconds < 0 || seconds > 65_535) {
      throw new IllegalArgumentException("keepAliveSeconds must be 0 to 65535: " + seconds);
    }
    this.keepAliveSeconds = seconds;
    return this;
  }

  /** How long the broker keeps the session after a disconnect (MQTT 5.0); default 0. */
  public MqttClientBuilder sessionExpirySeconds(long seconds) {
    if (seconds < 0 || seconds > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException("sessionExpirySeconds must be 0 to 4294967295");
    }
    this.sessionExpirySeconds = seconds;
    return this;
  }

  public MqttClientBuilder credentials(String username, String password) {
    this.username = username;
    this.password = password == null ? null : password.getBytes(StandardCharsets.UTF_8);
    return this;
  }

  /** The will message the broker publishes if this client vanishes without DISCONNECT. */
  public MqttClientBuilder will(Message will) {
    this.will = will;
    return this;
  }

  /** A user property sent in CONNECT (MQTT 5.0). */
  public MqttClientBuilder connectUserProperty(String name, String value) {
    connectUserProperties.add(new UserProperty(name, value));
    return this;
  }

  /** How many unacknowledged QoS 1/2 messages the broker may send us at once (MQTT 5.0). */
  public MqttClientBuilder receiveMaximum(int messages) {
    if (messages < 1 || messages > 65_535) {
      throw new IllegalArgumentException("receiveMaximum must be 1 to 65535: " + messages);
    }
    this.receiveMaximum = messages;
    return this;
  }

  /** How many of our QoS 1/2 messages may await acknowledgement; also capped by the broker. */
  public MqttClientBuilder maxInflight(int messages) {
    if (messages < 1 || messages > 65_535) {
      throw new IllegalArgumentException("maxInflight must be 1 to 65535: " + messages);
    }
    this.maxInflight = messages;
    return this;
  }

  /**
   * How many messages may wait while the client is offline or the in-flight window is full;
   * publishing beyond fails at once with {@link MqttClientException}.
   */
  public MqttClientBuilder offlineBufferMessages(int messages) {
    if (messages < 0) {
      throw new IllegalArgumentException("offlineBufferMessages must be 0 or more: " + messages);
    }
    this.offlineBufferMessages = messages;
    return this;
  }

  /** Reconnect after a lost connection, with exponential backoff and jitter between the bounds. */
  public MqttClientBuilder automaticReconnect(Duration minDelay, Duration maxDelay) {
    if (minDelay.isNegative() || minDelay.isZero() || maxDelay.compareTo(minDelay) < 0) {
      throw new IllegalArgumentException("need 0 < minDelay <= maxDelay");
    }
    this.automaticReconnect = true;
    this.reconnectMinDelay = minDelay;
    this.reconnectMaxDelay = maxDelay;
    return this;
  }

  /** Do not reconnect: a lost connection fails what is pending. */
  public MqttClientBuilder noAutomaticReconnect() {
    this.automaticReconnect = false;
    return this;
  }

  /** Bound for the TCP, TLS, WebSocket and CONNACK handshakes together; default 10 s. */
  public MqttClientBuilder connectTimeout(Duration timeout) {
    this.connectTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  public MqttClientBuilder enhancedAuth(EnhancedAuth auth) {
    this.enhancedAuth = auth;
    return this;
  }

  /**
   * Where message callbacks run; default a single thread of this client's own, so that callbacks
   * see messages in order and may block without stalling the connection.
   */
  public MqttClientBuilder callbackExecutor(Executor executor) {
    this.callbackExecutor = executor;
    return this;
  }

  /** Receives messages that match no subscription of this client (e.g. of a resumed session). */
  public MqttClientBuilder defaultHandler(Consumer<Message> handler) {
    this.defaultHandler = Objects.requireNonNull(handler, "handler");
    return this;
  }

  /** A new client; it does not connect until {@link MqttClient#connect()}. */
  public MqttClient build() {
    if ((enhancedAuth != null || !connectUserProperties.isEmpty()) && !version.isV5()) {
      throw new IllegalStateException("enhanced auth and CONNECT user properties need MQTT 5.0");
    }
    int p = port > 0 ? port : defaultPort(transport);
    return new MqttClient(
        new ClientConfig(
            host,
            p,
            transport,
            webSocketPath,
            caFile,
            certFile,
            keyFile,
            version,
            clientId,
            cleanStart,
            keepAliveSeconds,
            sessionExpirySeconds,
            username,
            password,
            will,
            List.copyOf(connectUserProperties),
            receiveMaximum,
            maxInflight,
            offlineBufferMessages,
            automaticReconnect,
            reconnectMinDelay,
            reconnectMaxDelay,
            connectTimeout,
            enhancedAuth,
            callbackExecutor,
            defaultHandler));
  }

  private static int defaultPort(Transport t) {
    switch (t) {
      case TLS:
        return 8883;
      case WEBSOCKET:
        return 80;
      case WEBSOCKET_TLS:
        return 443;
      default:
        return 1883;
    }
  }
}
