package io.starling.broker.transport;

import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.MqttVersion;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.Publish;
import io.starling.codec.wire.PacketEncoder;
import java.util.HashMap;
import java.util.Map;

/**
 * The topic aliases of one 5.0 connection, in both directions; they live and die with it
 * [MQTT-3.3.2-7]. Event-loop only.
 *
 * <p>Inbound, the client sets aliases 1 to the broker's maximum [MQTT-3.3.2-12]. Outbound, the
 * broker gives the first topics it sends an alias each, up to the client's maximum [MQTT-3.3.2-11],
 * and then sends those topics as an empty name with the alias.
 */
@EventLoopOnly
final class TopicAliases {
  /** Why an inbound alias was refused. */
  enum Problem {
    /** 0x94: the alias is above the broker's maximum. */
    OUT_OF_RANGE,
    /** 0x82: an empty topic with an alias that was never set. */
    UNKNOWN
  }

  private final int inboundMaximum;

  /** Inbound topics by alias; made when the client sets its first (most never do). */
  private String[] inbound;

  private final int outboundMaximum;
  private Map<String, Integer> outbound;

  TopicAliases(int inboundMaximum, int outboundMaximum) {
    this.inboundMaximum = inboundMaximum;
    this.outboundMaximum = outboundMaximum;
  }

  /** Problem with the alias of an inbound PUBLISH, or {@code null} if it is fine. */
  Problem check(Publish p) {
    int alias = p.properties().intValue(PropertyId.TOPIC_ALIAS).orElse(0);
    if (alias == 0) {
      return null;
    }
    if (alias > inboundMaximum) {
      return Problem.OUT_OF_RANGE;
    }
    return p.topic().isEmpty() && (inbound == null || inbound[alias] == null)
        ? Problem.UNKNOWN
        : null;
  }

  /**
   * The topic of an inbound PUBLISH (call after {@link #check}): an empty name with an alias stands
   * for the alias's topic; a name with an alias sets the alias.
   */
  String resolve(Publish p) {
    int alias = p.properties().intValue(PropertyId.TOPIC_ALIAS).orElse(0);
    if (alias == 0) {
      return p.topic();
    }
    if (p.topic().isEmpty()) {
      return inbound[alias];
    }
    if (inbound == null) {
      inbound = new String[inboundMaximum + 1];
    }
    inbound[alias] = p.topic();
    return p.topic();
  }

  /**
   * An outbound PUBLISH with an alias for its topic where one is set or can be, unless the alias
   * would take it over {@code maxPacketSize} (the client's Maximum Packet Size): then it goes with
   * its topic name and no alias, and no alias is set up for it [MQTT-3.1.2-24].
   */
  Publish apply(Publish p, long maxPacketSize) {
    if (outboundMaximum == 0) {
      return p;
    }
    if (outbound == null) {
      outbound = new HashMap<>();
    }
    Integer alias = outbound.get(p.topic());
    if (alias != null) {
      Publish aliased = p.withTopic("", p.properties().with(PropertyId.TOPIC_ALIAS, alias));
      return fits(aliased, maxPacketSize) ? aliased : p;
    }
    if (outbound.size() < outboundMaximum) {
      int next = outbound.size() + 1;
      Publish aliased = p.withTopic(p.topic(), p.properties().with(PropertyId.TOPIC_ALIAS, next));
      if (!fits(aliased, maxPacketSize)) {
        return p;
      }
      outbound.put(p.topic(), next);
      return aliased;
    }
    return p;
  }

  /** Whether {@code p} fits {@code maxPacketSize} once sent with its topic's existing alias. */
  boolean fitsWithAlias(Publish p, long maxPacketSize) {
    Integer alias = outbound == null ? null : outbound.get(p.topic());
    return alias != null
        && fits(p.withTopic("", p.properties().with(PropertyId.TOPIC_ALIAS, alias)), maxPacketSize);
  }

  private static boolean fits(Publish p, long maxPacketSize) {
    return maxPacketSize == Long.MAX_VALUE
        || PacketEncoder.publishSize(p, MqttVersion.V5) <= maxPacketSize;
  }

  /** Whether outbound aliases are in use (the client allowed some). */
  boolean hasOutbound() {
    return outboundMaximum > 0;
  }
}
