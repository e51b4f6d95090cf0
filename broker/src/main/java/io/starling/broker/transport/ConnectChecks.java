package io.starling.broker.transport;

import io.starling.broker.config.Protocol;
import io.starling.broker.security.ClientPolicy;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.Topics;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.Will;

/** Why a CONNECT is refused before any session is touched. Pure functions of the packet. */
final class ConnectChecks {
  private ConnectChecks() {}

  /**
   * The CONNACK reason code that refuses {@code c}, or {@code null} if it may go on. A will topic
   * passes the checks a PUBLISH topic passes here ({@code maxTopicLevels} levels at most, not a
   * {@code $} topic); the ACL's is {@link #willRefusal}, once the client's policy is known.
   */
  static ReasonCode refusal(Connect c, Protocol p, int maxTopicLevels) {
    MqttVersion v = c.version();
    if (v == MqttVersion.V5 && p.redirects()) {
      // Every 5.0 client is sent to another server (section 4.11).
      return p.redirectPermanent() ? ReasonCode.SERVER_MOVED : ReasonCode.USE_ANOTHER_SERVER;
    }
    Will w = c.will();
    if (w != null && w.qos().value() > p.maximumQos()) {
      return ReasonCode.QOS_NOT_SUPPORTED; // [MQTT-3.2.2-12]
    }
    if (w != null && w.retain() && !p.retainAvailable()) {
      return ReasonCode.RETAIN_NOT_SUPPORTED; // [MQTT-3.2.2-13]
    }
    if (w != null && Topics.count(w.topic()) > maxTopicLevels) {
      // Well-formed but not accepted by this server (5.0 section 3.2.2.2, 0x90); 3.1.1 has no
      // such code and is told "not authorized".
      return v == MqttVersion.V5 ? ReasonCode.TOPIC_NAME_INVALID : ReasonCode.NOT_AUTHORIZED;
    }
    if (w != null && w.topic().startsWith("$")) {
      return ReasonCode.NOT_AUTHORIZED; // $ topics are the broker's, as for PUBLISH
    }
    String id = c.clientId();
    if (id.isEmpty()) {
      // 3.1.1 allows an empty id only with clean session 1 [MQTT-3.1.3-8]; 3.1 never.
      if (v == MqttVersion.V3_1 || (v == MqttVersion.V3_1_1 && !c.cleanStart())) {
        return ReasonCode.CLIENT_IDENTIFIER_NOT_VALID;
      }
    } else if (v == MqttVersion.V3_1 && id.length() > 23) {
      return ReasonCode.CLIENT_IDENTIFIER_NOT_VALID; // MQTT 3.1 allows 1 to 23 characters
    }
    return null;
  }

  /** What a Reason String says about a refusal of {@link #refusal}. */
  static String why(ReasonCode refusal) {
    return switch (refusal) {
      case SERVER_MOVED, USE_ANOTHER_SERVER -> "this server sends its clients elsewhere";
      case QOS_NOT_SUPPORTED -> "the will's QoS is over the broker's maximum QoS";
      case RETAIN_NOT_SUPPORTED -> "retained messages are not available";
      case TOPIC_NAME_INVALID -> "the will topic has more levels than limits.max_topic_levels";
      case NOT_AUTHORIZED -> "the will topic starts with $";
      case CLIENT_IDENTIFIER_NOT_VALID -> "client identifier not valid";
      default -> refusal.description();
    };
  }

  /** The refusal of a will the client's ACL may not publish, or {@code null}. */
  static ReasonCode willRefusal(Will w, ClientPolicy policy) {
    return w != null && !policy.canPublish(w.topic()) ? ReasonCode.NOT_AUTHORIZED : null;
  }

  /** The CONNACK properties that go with a refusal: the server reference of a redirect. */
  static Properties refusalProperties(ReasonCode reason, Protocol p) {
    if (reason == ReasonCode.SERVER_MOVED || reason == ReasonCode.USE_ANOTHER_SERVER) {
      return Properties.builder().add(PropertyId.SERVER_REFERENCE, p.redirectTo()).build();
    }
    return Properties.EMPTY;
  }
}
