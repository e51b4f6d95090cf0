package io.starling.broker.config;

import java.util.Objects;

/**
 * The whole broker configuration: an immutable record tree, validated when built. Every key has a
 * safe default ({@link #defaults()}); see {@code config/starling.yaml} for the documented file.
 *
 * @param listener where the broker accepts MQTT connections
 * @param limits what one client may do
 * @param sys the {@code $SYS} topics
 * @param ioThreads event-loop threads; 0 means one per available processor
 * @param protocol what the broker offers at the protocol level (told to MQTT 5.0 clients in
 *     CONNACK)
 * @param persistence whether and how the broker keeps its state on disk
 */
public record BrokerConfig(
    Listener listener,
    Limits limits,
    Sys sys,
    int ioThreads,
    Protocol protocol,
    PersistenceConfig persistence) {
  /** A configuration without persistence. */
  public BrokerConfig(Listener listener, Limits limits, Sys sys, int ioThreads, Protocol protocol) {
    this(listener, limits, sys, ioThreads, protocol, PersistenceConfig.DISABLED);
  }

  public BrokerConfig {
    Objects.requireNonNull(persistence, "persistence");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(sys, "sys");
    if (ioThreads < 0) {
      throw new IllegalArgumentException("io_threads must be 0 or more");
    }
  }

  /** A broker on 0.0.0.0:1883 with the default limits. */
  public static BrokerConfig defaults() {
    return new BrokerConfig(Listener.DEFAULT, Limits.DEFAULT, Sys.DEFAULT, 0, Protocol.DEFAULT);
  }

  /** A copy listening elsewhere. */
  public BrokerConfig withListener(String bind, int port) {
    return new BrokerConfig(
        new Listener(bind, port), limits, sys, ioThreads, protocol, persistence);
  }

  /** A copy with other limits. */
  public BrokerConfig withLimits(Limits limits) {
    return new BrokerConfig(listener, limits, sys, ioThreads, protocol, persistence);
  }

  /** A copy with other {@code $SYS} settings. */
  public BrokerConfig withSys(Sys sys) {
    return new BrokerConfig(listener, limits, sys, ioThreads, protocol, persistence);
  }

  /** A copy with other protocol settings. */
  public BrokerConfig withProtocol(Protocol protocol) {
    return new BrokerConfig(listener, limits, sys, ioThreads, protocol, persistence);
  }

  /** A copy with other persistence settings. */
  public BrokerConfig withPersistence(PersistenceConfig persistence) {
    return new BrokerConfig(listener, limits, sys, ioThreads, protocol, persistence);
  }

  /**
   * A TCP listener.
   *
   * @param bind the address to bind, {@code 0.0.0.0} for all IPv4 interfaces
   * @param port the port, 0 for an ephemeral one
   */
  public record Listener(String bind, int port) {
    public static final Listener DEFAULT = new Listener("0.0.0.0", 1883);

    public Listener {
      Objects.requireNonNull(bind, "bind");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0 to 65535");
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
   * @param maxInflightMessages outbound QoS 1 and 2 messages awaiting acknowledgement per session
   * @param maxQueuedMessages QoS 1 and 2 messages queued per session while it is offline or its
   *     in-flight window is full
   * @param queueOverflow what happens to a message that does not fit the queue
   * @param maxTopicLevels the most levels a topic name or filter may have
   * @param connectTimeoutSeconds how long a new socket may take to send CONNECT
   * @param queueQos0WhileOffline whether QoS 0 messages are queued for offline persistent sessions
   */
  public record Limits(
      int maxConnections,
      int maxPacketSizeBytes,
      int maxInflightMessages,
      int maxQueuedMessages,
      QueueOverflow queueOverflow,
      int maxTopicLevels,
      int connectTimeoutSeconds,
      boolean queueQos0WhileOffline) {
    public static final Limits DEFAULT =
        new Limits(100_000, 1 << 20, 32, 1000, QueueOverflow.DROP_NEW, 128, 10, false);

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
      if (maxPacketSizeBytes > 268_435_460) {
        throw new IllegalArgumentException("max_packet_size must be at most 268435460");
      }
    }

    private static void positive(int value, String key) {
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
