package io.starling.loadgen;

import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import java.time.Duration;
import java.util.List;

/**
 * One load run.
 *
 * @param host the broker's address
 * @param port the broker's port
 * @param scenario what traffic to make
 * @param qos the QoS of publishing and subscribing
 * @param payloadBytes the payload size; 20 bytes or more carry a sequence number and timestamp
 * @param version the MQTT version of every connection
 * @param warmup traffic before measuring
 * @param duration how long to measure
 * @param publishers publishers (fanin, p2p pairs)
 * @param subscribers subscribers (fanout)
 * @param inflight QoS 1/2 messages in flight per publisher
 * @param qos0Window QoS 0 messages a publisher may have sent that have not yet arrived at every
 *     subscriber (a closed loop, so that a flood measures the broker rather than socket buffers); 0
 *     publishes open-loop, as fast as the socket takes them
 * @param ratePerSecond the fixed publish rate of the latency scenario
 * @param connections idle connections to open (conns)
 * @param connectRatePerSecond how fast to open them (conns)
 * @param sourceAddresses local addresses to spread connections over (conns), e.g. 127.0.0.2
 * @param brokerPid the broker's process id, to report its CPU and memory; 0 if unknown
 * @param threads event-loop threads of the load tool
 * @param persistent whether publishers and subscribers connect with clean session 0, so that a
 *     broker with persistence stores their messages (the durable scenarios)
 * @param keepAliveSeconds the keep-alive idle connections ask for in CONNECT (conns); the tool
 *     sends PINGREQ twice per period while it holds them, so that they stay up however long the
 *     run; 0 for none
 * @param subscribeEach whether each idle connection subscribes to one filter of its own (conns)
 */
public record LoadOptions(
    String host,
    int port,
    Scenario scenario,
    QoS qos,
    int payloadBytes,
    MqttVersion version,
    Duration warmup,
    Duration duration,
    int publishers,
    int subscribers,
    int inflight,
    int qos0Window,
    int ratePerSecond,
    int connections,
    int connectRatePerSecond,
    List<String> sourceAddresses,
    long brokerPid,
    int threads,
    boolean persistent,
    int keepAliveSeconds,
    boolean subscribeEach) {

  /** The keep-alive of idle connections unless told otherwise: what most devices use. */
  public static final int DEFAULT_KEEP_ALIVE_SECONDS = 60;

  /** A run with clean sessions. */
  public LoadOptions(
      String host,
      int port,
      Scenario scenario,
      QoS qos,
      int payloadBytes,
      MqttVersion version,
      Duration warmup,
      Duration duration,
      int publishers,
      int subscribers,
      int inflight,
      int qos0Window,
      int ratePerSecond,
      int connections,
      int connectRatePerSecond,
      List<String> sourceAddresses,
      long brokerPid,
      int threads) {
    this(
        host,
        port,
        scenario,
        qos,
        payloadBytes,
        version,
        warmup,
        duration,
        publishers,
        subscribers,
        inflight,
        qos0Window,
        ratePerSecond,
        connections,
        connectRatePerSecond,
        sourceAddresses,
        brokerPid,
        threads,
        false,
        DEFAULT_KEEP_ALIVE_SECONDS,
        false);
  }

  /** The traffic shapes. */
  public enum Scenario {
    /** P publishers, one subscriber on a wildcard. */
    FANIN,
    /** One publisher, S subscribers of one topic. */
    FANOUT,
    /** P publisher/subscriber pairs, a topic each. */
    P2P,
    /** One publisher at a fixed rate, one subscriber; latency percentiles. */
    LATENCY,
    /** N idle connections. */
    CONNS
  }

  public LoadOptions {
    if (payloadBytes < 0 || payloadBytes > 16 << 20) {
      throw new IllegalArgumentException("payload size must be 0 to 16 MiB");
    }
    if (publishers < 1 || subscribers < 1 || inflight < 1 || inflight > 65535) {
      throw new IllegalArgumentException(
          "publishers and subscribers must be at least 1, in-flight 1 to 65535");
    }
    if (qos0Window < 0) {
      throw new IllegalArgumentException("the QoS 0 window must be 0 or more");
    }
    if (ratePerSecond < 1 || connections < 1 || connectRatePerSecond < 1 || threads < 1) {
      throw new IllegalArgumentException("rates, connections and threads must be at least 1");
    }
    if (keepAliveSeconds < 0 || keepAliveSeconds > 65535) {
      throw new IllegalArgumentException("the keep-alive must be 0 to 65535 seconds");
    }
    sourceAddresses = List.copyOf(sourceAddresses);
  }
}
