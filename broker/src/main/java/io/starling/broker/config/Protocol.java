package io.starling.broker.config;

/**
 * What the broker offers clients at the protocol level; MQTT 5.0 clients are told these values in
 * CONNACK, earlier versions are held to them silently.
 *
 * @param maximumQos the highest QoS accepted in PUBLISH and granted in SUBSCRIBE (0 to 2)
 * @param retainAvailable whether retained messages are supported; when false a retained PUBLISH
 *     ends the connection (5.0: DISCONNECT 0x9A)
 * @param topicAliasMaximum the most topic aliases a client may set up towards the broker (0 to
 *     65535; 0 turns inbound aliases off)
 * @param receiveMaximum QoS 1 and 2 PUBLISH packets a 5.0 client may have unacknowledged at once (1
 *     to 65535); more ends the connection with DISCONNECT 0x93
 * @param maxSessionExpirySeconds the longest session expiry a client may ask for; 4294967295 means
 *     sessions may live for ever
 * @param maxKeepAliveSeconds the longest keep-alive a client may use; a 5.0 client asking for more
 *     (or for none) is told this value as Server Keep Alive (65535 means no limit)
 * @param responseInformation the Response Information sent to 5.0 clients that ask for it; {@code
 *     %c} stands for the client identifier; empty means none is offered
 * @param redirectTo a server reference ({@code host:port}) that every 5.0 client is redirected to
 *     with CONNACK 0x9C (or 0x9D when {@code redirectPermanent}); empty means no redirect
 * @param redirectPermanent whether the redirect says "server moved" rather than "use another
 *     server"
 * @param persistentSessionExpirySeconds how long an MQTT 3.1 or 3.1.1 session with clean session 0
 *     is kept after its connection ends (those versions cannot say), at most {@code
 *     maxSessionExpirySeconds}; 4294967295 means for ever
 */
public record Protocol(
    int maximumQos,
    boolean retainAvailable,
    int topicAliasMaximum,
    int receiveMaximum,
    long maxSessionExpirySeconds,
    int maxKeepAliveSeconds,
    String responseInformation,
    String redirectTo,
    boolean redirectPermanent,
    long persistentSessionExpirySeconds) {
  /** The session expiry interval that means "never expires". */
  public static final long NEVER_EXPIRES = 0xFFFF_FFFFL;

  /** The default of {@code mqtt.persistent_session_expiry_seconds}: 7 days. */
  public static final long DEFAULT_PERSISTENT_SESSION_EXPIRY_SECONDS = 7L * 24 * 3600;

  public static final Protocol DEFAULT =
      new Protocol(2, true, 10, 1024, NEVER_EXPIRES, 65535, "", "", false);

  public Protocol {
    if (maximumQos < 0 || maximumQos > 2) {
      throw new IllegalArgumentException("mqtt.maximum_qos must be 0, 1 or 2");
    }
    if (topicAliasMaximum < 0 || topicAliasMaximum > 65535) {
      throw new IllegalArgumentException("mqtt.topic_alias_maximum must be 0 to 65535");
    }
    if (receiveMaximum < 1 || receiveMaximum > 65535) {
      throw new IllegalArgumentException("mqtt.receive_maximum must be 1 to 65535");
    }
    if (maxSessionExpirySeconds < 0 || maxSessionExpirySeconds > NEVER_EXPIRES) {
      throw new IllegalArgumentException(
          "mqtt.max_session_expiry_seconds must be 0 to " + NEVER_EXPIRES);
    }
    if (maxKeepAliveSeconds < 1 || maxKeepAliveSeconds > 65535) {
      throw new IllegalArgumentException("mqtt.max_keep_alive_seconds must be 1 to 65535");
    }
    if (persistentSessionExpirySeconds < 1 || persistentSessionExpirySeconds > NEVER_EXPIRES) {
      throw new IllegalArgumentException(
          "mqtt.persistent_session_expiry_seconds must be 1 to " + NEVER_EXPIRES);
    }
    responseInformation = responseInformation == null ? "" : responseInformation;
    redirectTo = redirectTo == null ? "" : redirectTo;
  }

  /** The settings before 3.1.1 sessions could expire, with their expiry at its default. */
  public Protocol(
      int maximumQos,
      boolean retainAvailable,
      int topicAliasMaximum,
      int receiveMaximum,
      long maxSessionExpirySeconds,
      int maxKeepAliveSeconds,
      String responseInformation,
      String redirectTo,
      boolean redirectPermanent) {
    this(
        maximumQos,
        retainAvailable,
        topicAliasMaximum,
        receiveMaximum,
        maxSessionExpirySeconds,
        maxKeepAliveSeconds,
        responseInformation,
        redirectTo,
        redirectPermanent,
        DEFAULT_PERSISTENT_SESSION_EXPIRY_SECONDS);
  }

  /**
   * The session expiry of an MQTT 3.1 or 3.1.1 connection: 0 with clean session 1, otherwise {@code
   * mqtt.persistent_session_expiry_seconds} within {@code mqtt.max_session_expiry_seconds}.
   */
  public long legacySessionExpirySeconds(boolean cleanSession) {
    return cleanSession ? 0 : Math.min(persistentSessionExpirySeconds, maxSessionExpirySeconds);
  }

  /** A copy in which 3.1 and 3.1.1 sessions with clean session 0 expire after {@code seconds}. */
  public Protocol withPersistentSessionExpirySeconds(long seconds) {
    return new Protocol(
        maximumQos,
        retainAvailable,
        topicAliasMaximum,
        receiveMaximum,
        maxSessionExpirySeconds,
        maxKeepAliveSeconds,
        responseInformation,
        redirectTo,
        redirectPermanent,
        seconds);
  }

  /** Whether 5.0 clients are sent elsewhere. */
  public boolean redirects() {
    return !redirectTo.isEmpty();
  }
}
