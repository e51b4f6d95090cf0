package io.starling.broker.config;

import java.util.Objects;

/**
 * Limits against misbehaving clients: the {@code abuse:} section of the config file. Every rate is
 * per second; 0 turns a limit off.
 *
 * @param maxPublishRate PUBLISH packets per second one client may send
 * @param maxPublishBytesRate bytes per second of PUBLISH packets one client may send
 * @param publishRateAction what happens to a client over either rate
 * @param maxSubscriptions subscriptions one client may hold; more get a SUBACK failure
 * @param maxConnectionsPerAddress connections open at once from one source address; more are closed
 *     as soon as they are accepted
 * @param maxConnectionRatePerAddress new connections per second from one source address; more are
 *     closed as soon as they are accepted
 * @param flapConnects connects of one client id within {@code flapWindowSeconds} that make it a
 *     flapping client
 * @param flapWindowSeconds the window for {@code flapConnects}
 * @param flapCooloffSeconds how long a flapping client id is refused
 * @param maxFailedLoginsPerMinute failed logins from one source address per minute before its
 *     CONNECTs are refused for the rest of the minute
 * @param memoryHighWatermarkPercent share of the maximum heap (and of direct memory) above which
 *     the broker stops reading from sockets until memory falls
 * @param unwritableTimeoutSeconds how long a connection may keep its outbound buffer over the
 *     high-water mark (a client that does not read what it is sent) before it is closed; 0: never
 */
public record AbuseLimits(
    int maxPublishRate,
    int maxPublishBytesRate,
    RateAction publishRateAction,
    int maxSubscriptions,
    int maxConnectionsPerAddress,
    int maxConnectionRatePerAddress,
    int flapConnects,
    int flapWindowSeconds,
    int flapCooloffSeconds,
    int maxFailedLoginsPerMinute,
    int memoryHighWatermarkPercent,
    int unwritableTimeoutSeconds) {
  /** The default of {@code abuse.unwritable_timeout_seconds}. */
  public static final int DEFAULT_UNWRITABLE_TIMEOUT_SECONDS = 30;

  public static final AbuseLimits DEFAULT =
      new AbuseLimits(
          0,
          0,
          RateAction.THROTTLE,
          10_000,
          0,
          0,
          10,
          10,
          60,
          10,
          90,
          DEFAULT_UNWRITABLE_TIMEOUT_SECONDS);

  /** What happens to a client that publishes faster than allowed. */
  public enum RateAction {
    /** Stop reading its socket until it is back under the rate (TCP pushes back on it). */
    THROTTLE,
    /** Close it: MQTT 5.0 DISCONNECT 0x96 (message rate too high), 3.1.1 just closes. */
    DISCONNECT
  }

  public AbuseLimits {
    Objects.requireNonNull(publishRateAction, "publishRateAction");
    atLeast(0, maxPublishRate, "max_publish_rate");
    atLeast(0, maxPublishBytesRate, "max_publish_bytes_rate");
    atLeast(0, maxSubscriptions, "max_subscriptions");
    atLeast(0, maxConnectionsPerAddress, "max_connections_per_address");
    atLeast(0, maxConnectionRatePerAddress, "max_connection_rate_per_address");
    atLeast(0, flapConnects, "flap_connects");
    atLeast(1, flapWindowSeconds, "flap_window_seconds");
    atLeast(0, flapCooloffSeconds, "flap_cooloff_seconds");
    atLeast(0, maxFailedLoginsPerMinute, "max_failed_logins_per_minute");
    if (memoryHighWatermarkPercent < 0 || memoryHighWatermarkPercent > 100) {
      throw new IllegalArgumentException("abuse.memory_high_watermark_percent must be 0 to 100");
    }
    atLeast(0, unwritableTimeoutSeconds, "unwritable_timeout_seconds");
  }

  /** The limits as given, with the default {@code unwritable_timeout_seconds}. */
  public AbuseLimits(
      int maxPublishRate,
      int maxPublishBytesRate,
      RateAction publishRateAction,
      int maxSubscriptions,
      int maxConnectionsPerAddress,
      int maxConnectionRatePerAddress,
      int flapConnects,
      int flapWindowSeconds,
      int flapCooloffSeconds,
      int maxFailedLoginsPerMinute,
      int memoryHighWatermarkPercent) {
    this(
        maxPublishRate,
        maxPublishBytesRate,
        publishRateAction,
        maxSubscriptions,
        maxConnectionsPerAddress,
        maxConnectionRatePerAddress,
        flapConnects,
        flapWindowSeconds,
        flapCooloffSeconds,
        maxFailedLoginsPerMinute,
        memoryHighWatermarkPercent,
        DEFAULT_UNWRITABLE_TIMEOUT_SECONDS);
  }

  private static void atLeast(int min, int value, String key) {
    if (value < min) {
      throw new IllegalArgumentException("abuse." + key + " must be at least " + min);
    }
  }
}
