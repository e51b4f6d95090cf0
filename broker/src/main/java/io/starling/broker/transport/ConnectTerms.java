package io.starling.broker.transport;

import io.starling.broker.config.Protocol;
import io.starling.codec.MqttVersion;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;

/**
 * What a CONNECT and the broker's settings agree on for one connection, and the CONNACK properties
 * that tell a 5.0 client the broker's side [MQTT-3.2.2-9] [MQTT-3.2.2-16]. Earlier versions get the
 * equivalents of their clean-session flag and no properties.
 *
 * @param sessionExpirySeconds the session expiry in force (0 ends the session with the connection,
 *     {@link Protocol#NEVER_EXPIRES} keeps it for ever)
 * @param keepAliveSeconds the keep-alive in force, 0 for none
 * @param receiveMaximum the client's Receive Maximum: our outbound QoS 1/2 window [MQTT-3.3.4-9]
 * @param maxPacketSize the client's Maximum Packet Size in bytes [MQTT-3.1.2-24]
 * @param topicAliasMaximum how many topic aliases we may set up towards the client
 * @param problemInformation whether reason strings and user properties may go on any packet
 *     [MQTT-3.1.2-29]
 */
record ConnectTerms(
    long sessionExpirySeconds,
    int keepAliveSeconds,
    int receiveMaximum,
    long maxPacketSize,
    int topicAliasMaximum,
    boolean problemInformation) {

  /**
   * Terms for a pre-5.0 connection. Those versions cannot say how long a session with clean session
   * 0 is kept, so the broker decides: {@code mqtt.persistent_session_expiry_seconds} (within {@code
   * max_session_expiry_seconds}), as the non-normative comment of 3.1.1 section 4.1 allows ("the
   * maximum time that Session state is stored between Network Connections").
   */
  static ConnectTerms legacy(Connect c, Protocol p) {
    return new ConnectTerms(
        p.legacySessionExpirySeconds(c.cleanStart()),
        c.keepAliveSeconds(),
        65535,
        Long.MAX_VALUE,
        0,
        true);
  }

  /** Terms for a 5.0 connection: the client's wishes within the broker's limits. */
  static ConnectTerms v5(Connect c, Protocol p) {
    Properties props = c.properties();
    long expiry = props.longValue(PropertyId.SESSION_EXPIRY_INTERVAL).orElse(0);
    return new ConnectTerms(
        Math.min(expiry, p.maxSessionExpirySeconds()),
        keepAlive(c.keepAliveSeconds(), p),
        props.intValue(PropertyId.RECEIVE_MAXIMUM).orElse(65535),
        props.longValue(PropertyId.MAXIMUM_PACKET_SIZE).orElse(Long.MAX_VALUE),
        props.intValue(PropertyId.TOPIC_ALIAS_MAXIMUM).orElse(0),
        props.intValue(PropertyId.REQUEST_PROBLEM_INFORMATION).orElse(1) == 1);
  }

  /** The keep-alive a 5.0 client must use: its own unless it exceeds the broker's maximum. */
  private static int keepAlive(int requested, Protocol p) {
    int max = p.maxKeepAliveSeconds();
    return max < 65535 && (requested == 0 || requested > max) ? max : requested;
  }

  static ConnectTerms of(Connect c, Protocol p) {
    return c.version() == MqttVersion.V5 ? v5(c, p) : legacy(c, p);
  }

  /**
   * The CONNACK properties of an accepted 5.0 connection.
   *
   * @param assignedClientId the identifier the broker chose, or {@code null}
   * @param maxPacketSize the broker's maximum packet size
   */
  Properties connAckProperties(Connect c, Protocol p, String assignedClientId, int maxPacketSize) {
    Properties.Builder b = Properties.builder();
    long requestedExpiry = c.properties().longValue(PropertyId.SESSION_EXPIRY_INTERVAL).orElse(0);
    if (requestedExpiry != sessionExpirySeconds) {
      b.add(PropertyId.SESSION_EXPIRY_INTERVAL, sessionExpirySeconds);
    }
    if (p.receiveMaximum() != 65535) {
      b.add(PropertyId.RECEIVE_MAXIMUM, p.receiveMaximum());
    }
    if (p.maximumQos() < 2) {
      b.add(PropertyId.MAXIMUM_QOS, p.maximumQos());
    }
    if (!p.retainAvailable()) {
      b.add(PropertyId.RETAIN_AVAILABLE, 0);
    }
    b.add(PropertyId.MAXIMUM_PACKET_SIZE, (long) maxPacketSize);
    if (assignedClientId != null) {
      b.add(PropertyId.ASSIGNED_CLIENT_IDENTIFIER, assignedClientId);
    }
    if (p.topicAliasMaximum() > 0) {
      b.add(PropertyId.TOPIC_ALIAS_MAXIMUM, p.topicAliasMaximum());
    }
    b.add(PropertyId.WILDCARD_SUBSCRIPTION_AVAILABLE, 1);
    b.add(PropertyId.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 1);
    b.add(PropertyId.SHARED_SUBSCRIPTION_AVAILABLE, 1);
    if (keepAliveSeconds != c.keepAliveSeconds()) {
      b.add(PropertyId.SERVER_KEEP_ALIVE, keepAliveSeconds);
    }
    boolean wantsResponseInfo =
        c.properties().intValue(PropertyId.REQUEST_RESPONSE_INFORMATION).orElse(0) == 1;
    if (wantsResponseInfo && !p.responseInformation().isEmpty()) {
      String clientId = assignedClientId != null ? assignedClientId : c.clientId();
      b.add(PropertyId.RESPONSE_INFORMATION, p.responseInformation().replace("%c", clientId));
    }
    return b.build();
  }
}
