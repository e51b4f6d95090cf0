package io.starling.broker.transport;

import io.starling.broker.config.AbuseLimits;
import io.starling.broker.model.Message;
import io.starling.broker.security.ClientPolicy;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.Topics;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.codec.packet.UnsubAck;
import io.starling.codec.packet.Unsubscribe;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What a connected client asks of the broker: PUBLISH (and its QoS 2 release), SUBSCRIBE and
 * UNSUBSCRIBE, checked against the limits agreed at CONNECT. Runs on the connection's event loop,
 * with its session attached.
 */
final class ClientRequests {
  private final MqttConnection conn;

  ClientRequests(MqttConnection conn) {
    this.conn = conn;
  }

  private boolean isV5() {
    return conn.version() == MqttVersion.V5;
  }

  void onPublish(Publish p) {
    String problem = problem(p);
    if (problem != null) {
      return; // the connection is closing already
    }
    String topic = conn.aliases == null ? p.topic() : conn.aliases.resolve(p);
    int maxLevels = conn.broker.config().limits().maxTopicLevels();
    if (Topics.count(topic) > maxLevels) {
      conn.disconnect(
          ReasonCode.TOPIC_NAME_INVALID, "topic has more than " + maxLevels + " levels");
      return;
    }
    var stats = conn.broker.stats();
    stats.publishReceived.increment();
    if (!withinPublishRate(p)) {
      return;
    }
    boolean route = true;
    ReasonCode outcome = ReasonCode.SUCCESS;
    if (topic.startsWith("$")) {
      // Topics starting with $ are the broker's: drop the message, count it, and tell a 5.0
      // client it was not allowed; a 3.1.1 client has no way to hear it.
      stats.publishDroppedSys.increment();
      route = false;
      outcome = ReasonCode.NOT_AUTHORIZED;
    } else if (!conn.policy.canPublish(topic)) {
      // The ACL refuses it: 3.1.1 drops it silently (acknowledged, counted); 5.0 says 0x87.
      stats.publishDenied.increment();
      route = false;
      outcome = ReasonCode.NOT_AUTHORIZED;
    }
    switch (p.qos()) {
      case AT_MOST_ONCE -> {
        if (route) {
          route(p, topic);
        }
      }
      case AT_LEAST_ONCE -> {
        if (route && route(p, topic) == 0) {
          outcome = ReasonCode.NO_MATCHING_SUBSCRIBERS;
        }
        conn.writeAck(new PubAck(p.packetId(), outcome, Properties.EMPTY));
      }
      case EXACTLY_ONCE -> {
        // Route on first receipt and remember the id until PUBREL, so that a resent PUBLISH
        // (DUP) is not routed twice [MQTT-4.3.3-2]. A refused message is not remembered: its
        // PUBREC of 0x80 or more ends the flow (no PUBREL follows), so keeping the id would eat
        // the Receive Maximum and swallow the next message that reuses it [MQTT-4.3.3-9].
        boolean first = route && conn.session.inboundQos2().add(p.packetId());
        if (first) {
          conn.session.recordInbound(p.packetId(), true);
        }
        if (first && route(p, topic) == 0) {
          outcome = ReasonCode.NO_MATCHING_SUBSCRIBERS;
        }
        conn.writeAck(new PubRec(p.packetId(), outcome, Properties.EMPTY));
      }
    }
  }

  /**
   * Applies {@code abuse.max_publish_rate} and {@code max_publish_bytes_rate}. Over the rate, a
   * throttled client is not read until it is back within it; otherwise the connection ends (5.0:
   * DISCONNECT 0x96 first). Returns false when the packet is not to be processed.
   */
  private boolean withinPublishRate(Publish p) {
    ClientPolicy policy = conn.policy;
    long ahead = policy.publishAhead(p.topic().length() + p.payload().readableBytes());
    if (ahead == 0) {
      return true;
    }
    if (policy.rateAction() == AbuseLimits.RateAction.THROTTLE) {
      conn.throttle().pauseFor(ahead);
      return true;
    }
    conn.broker.stats().abuseRefused.increment();
    conn.disconnect(ReasonCode.MESSAGE_RATE_TOO_HIGH, "over the publish rate limit");
    return false;
  }

  private int route(Publish p, String topic) {
    return conn.broker.router().publish(Message.of(p, topic, conn.clientId, System.nanoTime()));
  }

  /**
   * Checks a PUBLISH against what was agreed; on a breach ends the connection with the reason the
   * spec names and returns a description, otherwise {@code null}.
   */
  private String problem(Publish p) {
    var protocol = conn.protocol;
    ReasonCode reason = null;
    String why = null;
    if (p.qos().value() > protocol.maximumQos()) {
      reason = ReasonCode.QOS_NOT_SUPPORTED; // [MQTT-3.2.2-11]
      why = "QoS " + p.qos().value() + " is above the maximum QoS " + protocol.maximumQos();
    } else if (p.retained() && !protocol.retainAvailable()) {
      reason = ReasonCode.RETAIN_NOT_SUPPORTED; // [MQTT-3.2.2-14]
      why = "retained messages are not available";
    } else if (isV5()) {
      if (p.properties().contains(PropertyId.SUBSCRIPTION_IDENTIFIER)) {
        reason = ReasonCode.PROTOCOL_ERROR; // [MQTT-3.3.4-6]
        why = "a PUBLISH from a client carries a subscription identifier";
      } else if (p.properties().contains(PropertyId.TOPIC_ALIAS)) {
        TopicAliases.Problem alias =
            conn.aliases == null ? TopicAliases.Problem.OUT_OF_RANGE : conn.aliases.check(p);
        if (alias == TopicAliases.Problem.OUT_OF_RANGE) {
          reason = ReasonCode.TOPIC_ALIAS_INVALID; // [MQTT-3.2.2-17] [MQTT-3.3.2-9]
          why = "topic alias above the maximum " + protocol.topicAliasMaximum();
        } else if (alias == TopicAliases.Problem.UNKNOWN) {
          reason = ReasonCode.PROTOCOL_ERROR; // [MQTT-3.3.2-7]
          why = "topic alias not set on this connection";
        }
      }
      if (reason == null && receiveMaximumExceeded(p)) {
        reason = ReasonCode.RECEIVE_MAXIMUM_EXCEEDED; // [MQTT-3.3.4-7]
        why = "more than " + protocol.receiveMaximum() + " QoS 2 messages unacknowledged";
      }
    }
    if (reason != null) {
      conn.disconnect(reason, why);
    }
    return why;
  }

  /**
   * Whether a QoS 1 or 2 PUBLISH goes beyond the Receive Maximum. QoS 1 is acknowledged at once, so
   * what counts is the QoS 2 messages awaiting PUBREL.
   */
  private boolean receiveMaximumExceeded(Publish p) {
    if (p.qos().value() == 0) {
      return false;
    }
    Set<Integer> waiting = conn.session.inboundQos2();
    if (p.qos().value() == 2 && waiting.contains(p.packetId())) {
      return false; // a resend of one already counted
    }
    return waiting.size() >= conn.protocol.receiveMaximum();
  }

  void onPubRel(PubRel rel) {
    boolean known = conn.session.inboundQos2().remove(rel.packetId());
    if (known) {
      conn.session.recordInbound(rel.packetId(), false);
    }
    // PUBCOMP even for an unknown id, so the client can finish [MQTT-4.3.3-2]; 5.0 says so.
    ReasonCode reason =
        known || !isV5() ? ReasonCode.SUCCESS : ReasonCode.PACKET_IDENTIFIER_NOT_FOUND;
    conn.writeAck(new PubComp(rel.packetId(), reason, Properties.EMPTY));
  }

  void onSubscribe(Subscribe sub) {
    int id = sub.properties().intValue(PropertyId.SUBSCRIPTION_IDENTIFIER).orElse(0);
    List<Subscription> requested = sub.subscriptions();
    boolean[] existed = new boolean[requested.size()];
    var subscriptions = conn.broker.subscriptions();
    // The ACL and abuse.max_subscriptions may refuse some filters; the rest are subscribed.
    List<ReasonCode> granted =
        conn.policy.subscribe(
            requested,
            conn.session.subscriptions(),
            allowed -> {
              boolean[] had = new boolean[allowed.size()];
              List<ReasonCode> codes = subscriptions.subscribe(conn.session, allowed, id, had);
              for (int i = 0, j = 0; i < requested.size() && j < allowed.size(); i++) {
                if (requested.get(i) == allowed.get(j)) {
                  existed[i] = had[j++];
                }
              }
              return codes;
            });
    conn.write(new SubAck(sub.packetId(), granted, Properties.EMPTY));
    subscriptions.sendRetained(conn.session, sub.subscriptions(), granted, id, existed);
  }

  void onUnsubscribe(Unsubscribe u) {
    boolean[] existed = conn.broker.subscriptions().unsubscribe(conn.session, u.filters());
    List<ReasonCode> codes = new ArrayList<>(existed.length);
    if (isV5()) {
      // One code per filter [MQTT-3.11.3-1]; 3.1.1 has none.
      for (boolean e : existed) {
        codes.add(e ? ReasonCode.SUCCESS : ReasonCode.NO_SUBSCRIPTION_EXISTED);
      }
    }
    // UNSUBACK even when nothing matched [MQTT-3.10.4-5].
    conn.write(new UnsubAck(u.packetId(), codes, Properties.EMPTY));
  }
}
