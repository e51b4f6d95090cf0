package io.starling.broker.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The whole broker configuration: an immutable record tree, validated when built. Every key has a
 * safe default ({@link #defaults()}); see {@code config/starling.yaml} for the documented file.
 *
 * @param listeners where the broker accepts MQTT connections: at least one, names unique
 * @param limits what one client may do
 * @param sys the {@code $SYS} topics
 * @param ioThreads event-loop threads; 0 means one per available processor
 * @param protocol what the broker offers at the protocol level (told to MQTT 5.0 clients in
 *     CONNACK)
 * @param security authentication and authorisation
 * @param abuse limits against misbehaving clients
 * @param persistence whether and how the broker keeps its state on disk
 */
public record BrokerConfig(
    List<Listener> listeners,
    Limits limits,
    Sys sys,
    int ioThreads,
    Protocol protocol,
    SecurityConfig security,
    AbuseLimits abuse,
    PersistenceConfig persistence) {
  public BrokerConfig {
    Objects.requireNonNull(persistence, "persistence");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(security, "security");
    Objects.requireNonNull(abuse, "abuse");
    listeners = List.copyOf(listeners);
    if (listeners.isEmpty()) {
      throw new IllegalArgumentException("listeners must hold at least one listener");
    }
    Set<String> names = new HashSet<>();
    for (Listener l : listeners) {
      if (!names.add(l.name())) {
        throw new IllegalArgumentException(
            "listeners: the name '" + l.name() + "' is used twice; give each listener its own");
      }
    }
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(sys, "sys");
    if (ioThreads < 0) {
      throw new IllegalArgumentException("io_threads must be 0 or more");
    }
  }

  /** A broker on 0.0.0.0:1883 with the default limits. */
  public static BrokerConfig defaults() {
    return new BrokerConfig(
        List.of(Listener.DEFAULT),
        Limits.DEFAULT,
        Sys.DEFAULT,
        0,
        Protocol.DEFAULT,
        SecurityConfig.DEFAULT,
        AbuseLimits.DEFAULT,
        PersistenceConfig.DISABLED);
  }

  /**
   * A copy whose first {@code tcp} listener listens elsewhere (one is added in front if there is
   * none): what {@code starling broker --bind/--port} do.
   */
  public BrokerConfig withListener(String bind, int port) {
    List<Listener> out = new ArrayList<>(listeners);
    for (int i = 0; i < out.size(); i++) {
      if (out.get(i).kind() == Listener.Kind.TCP) {
        out.set(i, out.get(i).withAddress(bind, port));
        return withListeners(out);
      }
    }
    String name = names(out).contains("tcp") ? "tcp-" + out.size() : "tcp";
    out.add(0, Listener.tcp(name, bind, port));
    return withListeners(out);
  }

  private static Set<String> names(List<Listener> listeners) {
    Set<String> names = new HashSet<>();
    listeners.forEach(l -> names.add(l.name()));
    return names;
  }

  /** A copy with other listeners. */
  public BrokerConfig withListeners(List<Listener> listeners) {
    return new BrokerConfig(
        listeners, limits, sys, ioThreads, protocol, security, abuse, persistence);
  }

  /** A copy with other limits. */
  public BrokerConfig withLimits(Limits limits) {
    return new BrokerConfig(
        listeners, limits, sys, ioThreads, protocol, security, abuse, persistence);
  }

  /** A copy with other {@code $SYS} settings. */
  public BrokerConfig withSys(Sys sys) {
    return new BrokerConfig(
        listeners, limits, sys, ioThreads, protocol, security, abuse, persistence);
  }

  /** A copy with other security settings. */
  public BrokerConfig withSecurity(SecurityConfig security) {
    return new BrokerConfig(
        listeners, limits, sys, ioThreads, protocol, security, abuse, persistence);
  }

  /** A copy with other abuse limits. */
  public BrokerConfig withAbuse(AbuseLimits abuse) {
    return new BrokerConfig(
        listeners, limits, sys, ioThreads, protocol, security, abuse, persistence);
  }

  /** A copy with other persistence settings. */
  public BrokerConfig withPersistence(PersistenceConfig persistence) {
    return new BrokerConfig(
        listeners, limits, sys, ioThreads, protocol, security, abuse, persistence);
  }

  /** A copy with other protocol settings. */
  public BrokerConfig withProtocol(Protocol protocol) {
    return new BrokerConfig(
        listeners, limits, sys, ioThreads, protocol, security, abuse, persistence);
  }

  /**
   * One listener: a socket the broker accepts MQTT connections on, and how it speaks.
   *
   * @param name unique among the listeners; in logs and on each connection ({@code
   *     ConnectionAttributes.LISTENER_NAME})
   * @param kind plain TCP, TLS, WebSocket or WebSocket over TLS
   * @param bind the address to bind, {@code 0.0.0.0} for all IPv4 interfaces
   * @param port the port, 0 for an ephemeral one
   * @param allowAnonymous whether clients without credentials are let in here; null means the
   *     broker-wide security setting
   * @param maxConnections the most sockets open at once on this listener (a socket beyond it is
   *     closed when accepted); 0 means only the broker-wide {@code limits.max_connections}
   * @param tls the TLS settings; required for {@code tls} and {@code wss}, null otherwise
   * @param websocket the WebSocket settings; for {@code ws} and {@code wss} only, null otherwise
   */
  public record Listener(
      String name,
      Kind kind,
      String bind,
      int port,
      Boolean allowAnonymous,
      int maxConnections,
      TlsConfig tls,
      WebSocketConfig websocket) {
    public static final Listener DEFAULT = tcp("tcp", "0.0.0.0", 1883);

    public Listener {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(bind, "bind");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0 to 65535");
      }
      if (maxConnections < 0) {
        throw new IllegalArgumentException("max_connections must be 0 or more");
      }
      if (kind.isTls() != (tls != null)) {
        throw new IllegalArgumentException(
            kind.isTls()
                ? "a " + kind.configName() + " listener needs a 'tls' section"
                : "'tls' only applies to tls and wss listeners");
      }
      if (kind.isWebSocket()) {
        websocket = websocket == null ? WebSocketConfig.DEFAULT : websocket;
      } else if (websocket != null) {
        throw new IllegalArgumentException("'websocket' only applies to ws and wss listeners");
      }
    }

    /** A plain TCP listener with no limits of its own. */
    public static Listener tcp(String name, String bind, int port) {
      return new Listener(name, Kind.TCP, bind, port, null, 0, null, null);
    }

    /** A listener of any kind with no limits of its own; {@code tls} only for tls and wss. */
    public static Listener of(String name, Kind kind, String bind, int port, TlsConfig tls) {
      return new Listener(name, kind, bind, port, null, 0, tls, null);
    }

    /** A copy on another address. */
    public Listener withAddress(String bind, int port) {
      return new Listener(name, kind, bind, port, allowAnonymous, maxConnections, tls, websocket);
    }

    /** A copy with other WebSocket settings. */
    public Listener withWebSocket(WebSocketConfig websocket) {
      return new Listener(name, kind, bind, port, allowAnonymous, maxConnections, tls, websocket);
    }

    /** A copy with its own anonymous-access rule and connection cap. */
    public Listener withAccess(Boolean allowAnonymous, int maxConnections) {
      return new Listener(name, kind, bind, port, allowAnonymous, maxConnections, tls, websocket);
    }

    /** How a listener speaks: the four kinds of the {@code kind} key. */
    public enum Kind {
      /** MQTT over plain TCP (port 1883 by convention). */
      TCP,
      /** MQTT over TLS (8883). */
      TLS,
      /** MQTT over WebSocket (commonly 8080 or 80). */
      WS,
      /** MQTT over WebSocket over TLS (commonly 8443 or 443). */
      WSS;

      public boolean isTls() {
        return this == TLS || this == WSS;
      }

      public boolean isWebSocket() {
        return this == WS || this == WSS;
      }

      /** The name used in the config file. */
      public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
      }
    }
  }

  /** What the broker does when a session's queue is full. */
  public enum QueueOverflow {
    /** Drop the message that does not fit (the newest). */
    DROP_NEW,
    /** Drop the oldest queued message to make room. */
    DROP_OLDEST
  }

  /**
   * Limits per client and per broker.
   *
   * @param maxConnections the most clients connected at once; beyond it CONNECT is refused with
   *     "server unavailable"
   * @param maxPacketSizeBytes the largest packet accepted from a client
   * @param maxInflightMessages the cap on a session's outbound window (QoS 1 and 2 messages
   *     awaiting acknowledgement): the client's Receive Maximum, at most this
   * @param maxQueuedMessages messages queued per session while it is offline or its in-flight
   *     window or socket is full (QoS 0 too while it is connected)
   * @param queueOverflow what happens to a message that does not fit the queue (by count or bytes)
   * @param maxTopicLevels the most levels a topic name or filter may have
   * @param connectTimeoutSeconds how long a new socket may take to send CONNECT
   * @param queueQos0WhileOffline whether QoS 0 messages are queued for offline persistent sessions
   * @param maxSessions the most sessions the broker holds at once, connected ones and offline
   *     persistent ones together; a CONNECT that would create one more is refused with "server
   *     unavailable" (3.1.1) or "quota exceeded" (5.0)
   * @param maxQueuedBytes bytes (payload, topic and properties) queued in memory per session; a
   *     message that does not fit is handled by {@code queueOverflow}, as one over the count
   * @param maxRetainedMessages retained messages the broker keeps (topics starting with {@code $}
   *     not counted); a new one beyond it is not stored
   * @param maxRetainedBytes bytes of retained messages the broker keeps, as above
   * @param maxSubscriptionBytes UTF-8 bytes of all the topic filters one client holds; a filter
   *     beyond it is refused (SUBACK 0x97 in 5.0, 0x80 in 3.1.1)
   * @param slowSubscriberTimeoutSeconds how long a connected subscriber whose full queue holds its
   *     publishers back may take nothing before it is disconnected (0x97); 0 never
   */
  public record Limits(
      int maxConnections,
      int maxPacketSizeBytes,
      int maxInflightMessages,
      int maxQueuedMessages,
      QueueOverflow queueOverflow,
      int maxTopicLevels,
      int connectTimeoutSeconds,
      boolean queueQos0WhileOffline,
      int maxSessions,
      long maxQueuedBytes,
      long maxRetainedMessages,
      long maxRetainedBytes,
      long maxSubscriptionBytes,
      int slowSubscriberTimeoutSeconds) {
    /** The default of {@code limits.max_sessions}: twice the default connection limit. */
    public static final int DEFAULT_MAX_SESSIONS = 200_000;

    /** The default of {@code limits.max_queued_bytes}: 16 MiB per session. */
    public static final long DEFAULT_MAX_QUEUED_BYTES = 16L << 20;

    /** The default of {@code limits.max_retained_messages}. */
    public static final long DEFAULT_MAX_RETAINED_MESSAGES = 1_000_000;

    /** The default of {@code limits.max_retained_bytes}: 256 MiB. */
    public static final long DEFAULT_MAX_RETAINED_BYTES = 256L << 20;

    /** The default of {@code limits.max_subscription_bytes}: 256 KiB per client. */
    public static final long DEFAULT_MAX_SUBSCRIPTION_BYTES = 256L << 10;

    /**
     * The default of {@code limits.slow_subscriber_timeout_seconds}: how long a connected
     * subscriber whose queue holds its publishers back may go without acknowledging anything.
     */
    public static final int DEFAULT_SLOW_SUBSCRIBER_TIMEOUT_SECONDS = 30;

    /**
     * The default of {@code limits.max_inflight_messages}, the cap on a client's Receive Maximum
     * (see README "Performance" and docs/choices.md "Queue bounds" for the measurement).
     */
    public static final int DEFAULT_MAX_INFLIGHT_MESSAGES = 1024;

    public static final Limits DEFAULT =
        new Limits(
            100_000,
            1 << 20,
            DEFAULT_MAX_INFLIGHT_MESSAGES,
            1000,
            QueueOverflow.DROP_NEW,
            128,
            10,
            false,
            DEFAULT_MAX_SESSIONS,
            DEFAULT_MAX_QUEUED_BYTES,
            DEFAULT_MAX_RETAINED_MESSAGES,
            DEFAULT_MAX_RETAINED_BYTES,
            DEFAULT_MAX_SUBSCRIPTION_BYTES,
            DEFAULT_SLOW_SUBSCRIBER_TIMEOUT_SECONDS);

    /** A builder starting from the defaults. */
    public static Builder builder() {
      return DEFAULT.toBuilder();
    }

    /** A builder starting from these limits, to change some of them. */
    public Builder toBuilder() {
      return new Builder(this);
    }

    public Limits {
      Objects.requireNonNull(queueOverflow, "queueOverflow");
      positive(maxConnections, "max_connections");
      positive(maxPacketSizeBytes, "max_packet_size");
      if (maxInflightMessages < 1 || maxInflightMessages > 65535) {
        throw new IllegalArgumentException("max_inflight_messages must be 1 to 65535");
      }
      positive(maxQueuedMessages, "max_queued_messages");
      positive(maxTopicLevels, "max_topic_levels");
      positive(connectTimeoutSeconds, "connect_timeout_seconds");
      if (maxSessions < 1) {
        throw new IllegalArgumentException("limits.max_sessions must be at least 1");
      }
      if (maxPacketSizeBytes > 268_435_460) {
        throw new IllegalArgumentException("max_packet_size must be at most 268435460");
      }
      positive(maxQueuedBytes, "limits.max_queued_bytes");
      positive(maxRetainedMessages, "limits.max_retained_messages");
      positive(maxRetainedBytes, "limits.max_retained_bytes");
      positive(maxSubscriptionBytes, "limits.max_subscription_bytes");
      if (slowSubscriberTimeoutSeconds < 0 || slowSubscriberTimeoutSeconds > 86_400) {
        throw new IllegalArgumentException(
            "limits.slow_subscriber_timeout_seconds must be 0 (never) to 86400");
      }
    }

    /**
     * Limits to build from others, changing some: {@code
     * limits.toBuilder().maxSessions(3).build()}. {@link #build} checks them as the record's
     * constructor does.
     */
    public static final class Builder {
      private int maxConnections;
      private int maxPacketSizeBytes;
      private int maxInflightMessages;
      private int maxQueuedMessages;
      private QueueOverflow queueOverflow;
      private int maxTopicLevels;
      private int connectTimeoutSeconds;
      private boolean queueQos0WhileOffline;
      private int maxSessions;
      private long maxQueuedBytes;
      private long maxRetainedMessages;
      private long maxRetainedBytes;
      private long maxSubscriptionBytes;
      private int slowSubscriberTimeoutSeconds;

      private Builder(Limits from) {
        maxConnections = from.maxConnections;
        maxPacketSizeBytes = from.maxPacketSizeBytes;
        maxInflightMessages = from.maxInflightMessages;
        maxQueuedMessages = from.maxQueuedMessages;
        queueOverflow = from.queueOverflow;
        maxTopicLevels = from.maxTopicLevels;
        connectTimeoutSeconds = from.connectTimeoutSeconds;
        queueQos0WhileOffline = from.queueQos0WhileOffline;
        maxSessions = from.maxSessions;
        maxQueuedBytes = from.maxQueuedBytes;
        maxRetainedMessages = from.maxRetainedMessages;
        maxRetainedBytes = from.maxRetainedBytes;
        maxSubscriptionBytes = from.maxSubscriptionBytes;
        slowSubscriberTimeoutSeconds = from.slowSubscriberTimeoutSeconds;
      }

      public Builder maxConnections(int value) {
        maxConnections = value;
        return this;
      }

      public Builder maxPacketSizeBytes(int value) {
        maxPacketSizeBytes = value;
        return this;
      }

      public Builder maxInflightMessages(int value) {
        maxInflightMessages = value;
        return this;
      }

      public Builder maxQueuedMessages(int value) {
        maxQueuedMessages = value;
        return this;
      }

      public Builder queueOverflow(QueueOverflow value) {
        queueOverflow = value;
        return this;
      }

      public Builder maxTopicLevels(int value) {
        maxTopicLevels = value;
        return this;
      }

      public Builder connectTimeoutSeconds(int value) {
        connectTimeoutSeconds = value;
        return this;
      }

      public Builder queueQos0WhileOffline(boolean value) {
        queueQos0WhileOffline = value;
        return this;
      }

      public Builder maxSessions(int value) {
        maxSessions = value;
        return this;
      }

      public Builder maxQueuedBytes(long value) {
        maxQueuedBytes = value;
        return this;
      }

      public Builder maxRetainedMessages(long value) {
        maxRetainedMessages = value;
        return this;
      }

      public Builder maxRetainedBytes(long value) {
        maxRetainedBytes = value;
        return this;
      }

      public Builder maxSubscriptionBytes(long value) {
        maxSubscriptionBytes = value;
        return this;
      }

      public Builder slowSubscriberTimeoutSeconds(int value) {
        slowSubscriberTimeoutSeconds = value;
        return this;
      }

      /** The limits, checked (an {@link IllegalArgumentException} names the bad key). */
      public Limits build() {
        return new Limits(
            maxConnections,
            maxPacketSizeBytes,
            maxInflightMessages,
            maxQueuedMessages,
            queueOverflow,
            maxTopicLevels,
            connectTimeoutSeconds,
            queueQos0WhileOffline,
            maxSessions,
            maxQueuedBytes,
            maxRetainedMessages,
            maxRetainedBytes,
            maxSubscriptionBytes,
            slowSubscriberTimeoutSeconds);
      }
    }

    private static void positive(long value, String key) {
      if (value < 1) {
        throw new IllegalArgumentException(key + " must be at least 1");
      }
    }
  }

  /**
   * The {@code $SYS/broker/...} topics.
   *
   * @param intervalSeconds how often they are published; 0 turns them off
   */
  public record Sys(int intervalSeconds) {
    public static final Sys DEFAULT = new Sys(10);

    public Sys {
      if (intervalSeconds < 0) {
        throw new IllegalArgumentException("interval_seconds must be 0 or more");
      }
    }
  }
}
