package io.starling.broker.transport;

import io.starling.broker.config.AbuseLimits;
import io.starling.broker.extension.Hooks;
import io.starling.broker.extension.PublishVerdict;
import io.starling.broker.logging.LogText;
import io.starling.broker.model.Message;
import io.starling.broker.model.MessageSize;
import io.starling.broker.security.ClientPolicy;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.Topics;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
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
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a connected client sends, once its session is attached: PUBLISH (and its QoS 2 release),
 * SUBSCRIBE and UNSUBSCRIBE, checked against the limits agreed at CONNECT; the acknowledgements of
 * the broker's deliveries; and DISCONNECT. Shares the connection's {@link ConnectionState} with
 * {@link MqttConnection} and {@link ConnectFlow}. One instance per connection; runs on the
 * connection's event loop only.
 */
@EventLoopOnly
final class ClientRequests {
  private static final Logger log = LoggerFactory.getLogger(ClientRequests.class);

  /** The Reason String of PUBCOMP 0x92 (a PUBREL for an id the broker does not hold). */
  private static final Properties UNKNOWN_ID =
      Properties.builder()
          .add(PropertyId.REASON_STRING, "no QoS 2 message with this packet identifier")
          .build();

  private final ConnectionState state;

  ClientRequests(ConnectionState state) {
    this.state = state;
  }

  /**
   * PUBLISH: checked against what was agreed, routed unless refused, and acknowledged (QoS 1 and 2)
   * through the {@link AckBatcher}.
   */
  void onPublish(Publish p) {
    String problem = problem(p);
    if (problem != null) {
      return; // the connection is closing already
    }
    String topic = state.aliases() == null ? p.topic() : state.aliases().resolve(p);
    int maxLevels = state.broker().config().limits().maxTopicLevels();
    if (Topics.count(topic) > maxLevels) {
      state.disconnect(
          ReasonCode.TOPIC_NAME_INVALID, "topic has more than " + maxLevels + " levels");
      return;
    }
    state.broker().stats().publishReceived.increment();
    if (!withinPublishRate(p)) {
      return;
    }
    Refusal refusal = refusal(topic);
    if (refusal == null && p.retained()) {
      refusal = retainedRefusal(p, topic);
    }
    switch (p.qos()) {
      case AT_MOST_ONCE -> {
        if (refusal == null) {
          routeOutcome(p, topic);
        }
      }
      case AT_LEAST_ONCE -> {
        ReasonCode outcome = refusal != null ? refusal.code : routeOutcome(p, topic);
        state.acks().write(new PubAck(p.packetId(), outcome, problemInformation(outcome, refusal)));
      }
      case EXACTLY_ONCE -> {
        ReasonCode outcome = routeFirstReceipt(p, topic, refusal);
        state.acks().write(new PubRec(p.packetId(), outcome, problemInformation(outcome, refusal)));
      }
    }
  }

  /**
   * Why the broker refuses a PUBLISH before routing it: the reason code of its PUBACK/PUBREC and a
   * Reason String that says which rule refused it. The text is fixed (never the client's bytes) and
   * its property made once.
   */
  private enum Refusal {
    SYS_TOPIC(ReasonCode.NOT_AUTHORIZED, "topics starting with $ are reserved for the broker"),
    DENIED(ReasonCode.NOT_AUTHORIZED, "not authorized to publish to this topic"),
    RETAINED_FULL(ReasonCode.QUOTA_EXCEEDED, "the broker holds its maximum of retained messages"),
    BY_EXTENSION(null, "refused by an extension");

    final ReasonCode code;
    final Properties reasonString;

    Refusal(ReasonCode code, String why) {
      this.code = code;
      this.reasonString = Properties.builder().add(PropertyId.REASON_STRING, why).build();
    }
  }

  /**
   * The properties of a PUBACK or PUBREC with {@code outcome}: for a failure (0x80 and above), the
   * Reason String of {@code refusal} (of an extension's refusal when null), unless the client asked
   * for no problem information [MQTT-3.1.2-29]; 3.1.1 has no properties. A client's Maximum Packet
   * Size too small for it makes the writer leave it out [MQTT-3.1.2-25].
   */
  private Properties problemInformation(ReasonCode outcome, Refusal refusal) {
    if (!outcome.isError() || !state.isV5() || !state.terms().problemInformation()) {
      return Properties.EMPTY;
    }
    return (refusal == null ? Refusal.BY_EXTENSION : refusal).reasonString;
  }

  /** Why a PUBLISH to {@code topic} is not routed (counted), or null if it is. */
  private Refusal refusal(String topic) {
    var stats = state.broker().stats();
    if (topic.startsWith("$")) {
      // Topics starting with $ are the broker's: drop the message, count it, and tell a 5.0
      // client it was not allowed; a 3.1.1 client has no way to hear it.
      stats.publishDroppedSys.increment();
      return Refusal.SYS_TOPIC;
    }
    if (!state.policy().canPublish(topic)) {
      // The ACL refuses it: 3.1.1 drops it silently (acknowledged, counted); 5.0 says 0x87.
      stats.publishDenied.increment();
      return Refusal.DENIED;
    }
    return null;
  }

  /**
   * Whether a retained PUBLISH is refused for the retained-message limits ({@code
   * limits.max_retained_messages}, {@code max_retained_bytes}): only a 5.0 client's QoS 1 or 2
   * message can be, with PUBACK/PUBREC 0x97 "quota exceeded" (section 3.4.2.1), and then it is not
   * routed at all, since a reason code of 0x80 or more says the message was not accepted and the
   * client will not send it again [MQTT-4.4.0-2]. Otherwise (3.1.1, QoS 0) there is no way to say
   * so: the message is delivered to the current subscribers and the store declines to keep it,
   * leaving no retained message on the topic (3.1.1 [MQTT-3.3.1-7]); see docs/choices.md.
   */
  private Refusal retainedRefusal(Publish p, String topic) {
    if (!state.isV5() || p.qos() == QoS.AT_MOST_ONCE || !p.payload().isReadable()) {
      return null;
    }
    long weight = MessageSize.of(Message.of(p, topic, null, 0));
    if (state.broker().router().retained().admits(topic, weight)) {
      return null;
    }
    state.broker().stats().retainedRefused.increment();
    return Refusal.RETAINED_FULL;
  }

  /**
   * Routes a QoS 2 PUBLISH on its first receipt and remembers the id until PUBREL, so that a resent
   * PUBLISH (DUP) is not routed twice [MQTT-4.3.3-2]. A refused message is not remembered: its
   * PUBREC of 0x80 or more ends the flow (no PUBREL follows), so keeping the id would eat the
   * Receive Maximum and swallow the next message that reuses it [MQTT-4.3.3-9]. Returns the PUBREC
   * reason code.
   */
  private ReasonCode routeFirstReceipt(Publish p, String topic, Refusal refusal) {
    if (refusal != null) {
      return refusal.code;
    }
    if (!state.session().inboundQos2().add(p.packetId())) {
      return ReasonCode.SUCCESS; // a resend: routed already
    }
    state.session().recordInbound(p.packetId(), true);
    ReasonCode outcome = routeOutcome(p, topic);
    if (outcome.isError()) { // an extension refused it: as above, its id is not kept
      state.session().inboundQos2().remove(p.packetId());
      state.session().recordInbound(p.packetId(), false);
    }
    return outcome;
  }

  /**
   * Runs the inbound-publish hooks (the plug point before routing), then routes the message: the
   * reason code of a hook's refusal, 0x10 when nobody was subscribed, otherwise success.
   */
  private ReasonCode routeOutcome(Publish p, String topic) {
    Message m = Message.of(p, topic, state.clientId(), System.nanoTime());
    Hooks hooks = state.broker().hooks();
    if (hooks.hasInboundPublish()) {
      PublishVerdict v = hooks.inboundPublish(state.clientId(), state.policy().username(), m);
      if (v.isRefused()) {
        state.broker().stats().publishRefusedByExtension.increment();
        return v.refusal();
      }
      if (v.message().payload() != m.payload()) {
        // A new payload from a hook is the broker's now: released once routed (the router
        // retains what it keeps).
        try {
          return outcome(state.broker().router().publish(v.message()));
        } finally {
          v.message().payload().release();
        }
      }
      m = v.message();
    }
    return outcome(state.broker().router().publish(m));
  }

  private static ReasonCode outcome(int deliveries) {
    return deliveries == 0 ? ReasonCode.NO_MATCHING_SUBSCRIBERS : ReasonCode.SUCCESS;
  }

  /**
   * Applies {@code abuse.max_publish_rate} and {@code max_publish_bytes_rate}. Over the rate, a
   * throttled client is not read until it is back within it; otherwise the connection ends (5.0:
   * DISCONNECT 0x96 first). Returns false when the packet is not to be processed.
   */
  private boolean withinPublishRate(Publish p) {
    ClientPolicy policy = state.policy();
    long ahead = policy.publishAhead(p.topic().length() + p.payload().readableBytes());
    if (ahead == 0) {
      return true;
    }
    if (policy.rateAction() == AbuseLimits.RateAction.THROTTLE) {
      state.throttle().pauseFor(ahead);
      return true;
    }
    state.broker().stats().abuseRefused.increment();
    state.disconnect(ReasonCode.MESSAGE_RATE_TOO_HIGH, "over the publish rate limit");
    return false;
  }

  /**
   * Checks a PUBLISH against what was agreed; on a breach ends the connection with the reason the
   * spec names and returns a description, otherwise {@code null}.
   */
  private String problem(Publish p) {
    var protocol = state.protocol();
    ReasonCode reason = null;
    String why = null;
    if (p.qos().value() > protocol.maximumQos()) {
      reason = ReasonCode.QOS_NOT_SUPPORTED; // [MQTT-3.2.2-11]
      why = "QoS " + p.qos().value() + " is above the maximum QoS " + protocol.maximumQos();
    } else if (p.retained() && !protocol.retainAvailable()) {
      reason = ReasonCode.RETAIN_NOT_SUPPORTED; // [MQTT-3.2.2-14]
      why = "retained messages are not available";
    } else if (state.isV5()) {
      if (p.properties().contains(PropertyId.SUBSCRIPTION_IDENTIFIER)) {
        reason = ReasonCode.PROTOCOL_ERROR; // [MQTT-3.3.4-6]
        why = "a PUBLISH from a client carries a subscription identifier";
      } else if (p.properties().contains(PropertyId.TOPIC_ALIAS)) {
        TopicAliases.Problem alias =
            state.aliases() == null ? TopicAliases.Problem.OUT_OF_RANGE : state.aliases().check(p);
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
    } else if (unreleasedQos2Exceeded(p)) {
      // 3.1.1 has no Receive Maximum, but each unreleased QoS 2 id is state the broker keeps for
      // the
      // client [MQTT-4.3.3-2]: it is held to the same number as 5.0 clients, and closed beyond it
      // (3.1.1 has no other answer). See docs/choices.md.
      reason = ReasonCode.RECEIVE_MAXIMUM_EXCEEDED;
      why = "more than " + protocol.receiveMaximum() + " QoS 2 messages unreleased (no PUBREL)";
    }
    if (reason == ReasonCode.RECEIVE_MAXIMUM_EXCEEDED) {
      state.broker().stats().inboundQos2Exceeded.increment();
      log.debug("client {}: closed, {}", LogText.untrusted(state.clientId()), why);
    }
    if (reason != null) {
      state.disconnect(reason, why);
    }
    return why;
  }

  /**
   * Whether a 3.1 or 3.1.1 client's QoS 2 PUBLISH with a new packet id goes beyond {@code
   * mqtt.receive_maximum} ids awaiting PUBREL.
   */
  private boolean unreleasedQos2Exceeded(Publish p) {
    if (p.qos() != QoS.EXACTLY_ONCE) {
      return false;
    }
    Set<Integer> waiting = state.session().inboundQos2();
    return !waiting.contains(p.packetId()) && waiting.size() >= state.protocol().receiveMaximum();
  }

  /**
   * Whether a QoS 1 or 2 PUBLISH goes beyond the Receive Maximum. QoS 1 is acknowledged at once, so
   * what counts is the QoS 2 messages awaiting PUBREL.
   */
  private boolean receiveMaximumExceeded(Publish p) {
    if (p.qos().value() == 0) {
      return false;
    }
    Set<Integer> waiting = state.session().inboundQos2();
    if (p.qos().value() == 2 && waiting.contains(p.packetId())) {
      return false; // a resend of one already counted
    }
    return waiting.size() >= state.protocol().receiveMaximum();
  }

  void onPubRel(PubRel rel) {
    boolean known = state.session().inboundQos2().remove(rel.packetId());
    if (known) {
      state.session().recordInbound(rel.packetId(), false);
    }
    // PUBCOMP even for an unknown id, so the client can finish [MQTT-4.3.3-2]; 5.0 says so.
    ReasonCode reason =
        known || !state.isV5() ? ReasonCode.SUCCESS : ReasonCode.PACKET_IDENTIFIER_NOT_FOUND;
    Properties props =
        known || !state.isV5() || !state.terms().problemInformation()
            ? Properties.EMPTY
            : UNKNOWN_ID; // [MQTT-3.1.2-29]
    state.acks().write(new PubComp(rel.packetId(), reason, props));
  }

  void onSubscribe(Subscribe sub) {
    int id = sub.properties().intValue(PropertyId.SUBSCRIPTION_IDENTIFIER).orElse(0);
    List<Subscription> requested = sub.subscriptions();
    boolean[] existed = new boolean[requested.size()];
    var subscriptions = state.broker().subscriptions();
    // The ACL and abuse.max_subscriptions may refuse some filters; the rest are subscribed.
    List<ReasonCode> granted =
        state
            .policy()
            .subscribe(
                requested,
                state.session().subscriptions(),
                allowed -> {
                  boolean[] had = new boolean[allowed.size()];
                  List<ReasonCode> codes =
                      subscriptions.subscribe(state.session(), allowed, id, had);
                  for (int i = 0, j = 0; i < requested.size() && j < allowed.size(); i++) {
                    if (requested.get(i) == allowed.get(j)) {
                      existed[i] = had[j++];
                    }
                  }
                  return codes;
                });
    state.writer().write(new SubAck(sub.packetId(), granted, Properties.EMPTY));
    subscriptions.sendRetained(state.session(), sub.subscriptions(), granted, id, existed);
  }

  void onUnsubscribe(Unsubscribe u) {
    boolean[] existed = state.broker().subscriptions().unsubscribe(state.session(), u.filters());
    List<ReasonCode> codes = new ArrayList<>(existed.length);
    if (state.isV5()) {
      // One code per filter [MQTT-3.11.3-1]; 3.1.1 has none.
      for (boolean e : existed) {
        codes.add(e ? ReasonCode.SUCCESS : ReasonCode.NO_SUBSCRIPTION_EXISTED);
      }
    }
    // UNSUBACK even when nothing matched [MQTT-3.10.4-5].
    state.writer().write(new UnsubAck(u.packetId(), codes, Properties.EMPTY));
  }

  /** PUBACK: the client has a QoS 1 delivery. */
  void onPubAck(PubAck ack) {
    expectKnown(state.session().onPubAck(ack.packetId()), ack);
  }

  /** PUBREC: the client has a QoS 2 delivery (or refused it, 0x80 and above). */
  void onPubRec(PubRec rec) {
    expectKnown(state.session().onPubRec(rec.packetId(), !rec.reasonCode().isError()), rec);
  }

  /** PUBCOMP: a QoS 2 delivery is complete. */
  void onPubComp(PubComp comp) {
    expectKnown(state.session().onPubComp(comp.packetId()), comp);
  }

  private void expectKnown(boolean known, MqttPacket ack) {
    if (!known) {
      // There is no answer to an acknowledgement of an unknown id; ignore it as most brokers do.
      log.debug("client {}: {} for an unknown packet id", state.clientId(), ack.type());
    }
  }

  /**
   * DISCONNECT: the connection closes; a 5.0 client may change the session expiry, unless it was 0
   * (section 3.14.2.2.2). The will is discarded unless the reason asks for it [MQTT-3.14.4-3].
   */
  void onDisconnect(Disconnect d) {
    if (state.isV5()) {
      OptionalLong expiry = d.properties().longValue(PropertyId.SESSION_EXPIRY_INTERVAL);
      if (expiry.isPresent()) {
        if (state.sessionExpirySeconds() == 0 && expiry.getAsLong() != 0) {
          // A session that was to end with the connection cannot be kept now (section 3.14.2.2.2).
          state.disconnect(
              ReasonCode.PROTOCOL_ERROR, "session expiry changed from 0 on DISCONNECT");
          return;
        }
        state.changeSessionExpiry(
            Math.min(expiry.getAsLong(), state.protocol().maxSessionExpirySeconds()));
      }
    }
    // The will is discarded on a normal DISCONNECT [MQTT-3.14.4-3]; 0x04 asks for it.
    if (d.reasonCode() != ReasonCode.DISCONNECT_WITH_WILL) {
      state.discardWill();
    }
    state.disconnectedByClient();
    state.closeNow();
  }
}
