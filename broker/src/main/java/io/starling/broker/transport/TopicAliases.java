package io.starling.broker.transport;

import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.Publish;
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

  private final String[] inbound;
  private final int outboundMaximum;
  private Map<String, Integer> outbound;

  TopicAliases(int inboundMaximum, int outboundMaximum) {
    this.inbound = new String[inboundMaximum + 1];
    this.outboundMaximum = outboundMaximum;
  }

  /** Problem with the alias of an inbound PUBLISH, or {@code null} if it is fine. */
  Problem check(Publish p) {
    int alias = p.properties().intValue(PropertyId.TOPIC_ALIAS).orElse(0);
    if (alias == 0) {
      return null;
    }
    if (alias >= inbound.length) {
      return Problem.OUT_OF_RANGE;
    }
    return p.topic().isEmpty() && inbound[alias] == null ? Problem.UNKNOWN : null;
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
    inbound[alias] = p.topic();
    return p.topic();
  }

  /** An outbound PUBLISH with an alias for its topic where one is set or can be. */
  Publish apply(Publish p) {
    if (outboundMaximum == 0) {
      return p;
    }
    if (outbound == null) {
      outbound = new HashMap<>();
    }
    Integer alias = outbound.get(p.topic());
    if (alias != null) {
      return p.withTopic("", p.properties().with(PropertyId.TOPIC_ALIAS, alias));
    }
    if (outbound.size() < outboundMaximum) {
      int next = outbound.size() + 1;
      outbound.put(p.topic(), next);
      return p.withTopic(p.topic(), p.properties().with(PropertyId.TOPIC_ALIAS, next));
    }
    return p;
  }

  /** Whether outbound aliases are in use (the client allowed some). */
  boolean hasOutbound() {
    return outboundMaximum > 0;
  }
}
