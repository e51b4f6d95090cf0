package io.starling.broker.session;

import io.netty.buffer.ByteBuf;
import io.starling.broker.model.Message;
import io.starling.broker.routing.Delivery;
import io.starling.broker.routing.SharedGroup;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.packet.Properties;

/**
 * A message on its way to one subscriber: queued, or in flight awaiting acknowledgement. It keeps
 * the per-subscriber state of one delivery (QoS, RETAIN, subscription identifiers, packet id,
 * acknowledgement progress) next to the one shared {@link Message}, and is written from those
 * fields: the message is never rebuilt per subscriber. Owned by its session's event loop. Holds one
 * reference to the message's payload, released when the message is acknowledged or dropped.
 */
@EventLoopOnly
final class OutboundMessage {
  final Message message;
  final QoS qos;
  final boolean retain;

  /** The identifiers of the subscriptions it matched, or {@code null}. */
  final int[] subscriptionIds;

  /** The shared subscription it came through, or {@code null}. */
  final SharedGroup group;

  int packetId;

  /** For QoS 2: PUBREC received, PUBREL sent, awaiting PUBCOMP. */
  boolean released;

  /**
   * In flight from an earlier connection but not yet resent on this one, because the client's
   * Receive Maximum was full [MQTT-3.3.4-9]; it keeps its packet identifier [MQTT-4.4.0-1].
   */
  boolean unsent;

  /** Its sequence number in the store, or 0 when it is not stored. */
  long seq;

  /** A stored QoS 2 message waiting for its in-flight record to be durable before it is written. */
  boolean awaitingRecord;

  /** Takes no reference to the payload: see {@link #of}. */
  OutboundMessage(
      Message message, QoS qos, boolean retain, int[] subscriptionIds, SharedGroup group) {
    this.message = message;
    this.qos = qos;
    this.retain = retain;
    this.subscriptionIds = subscriptionIds;
    this.group = group;
  }

  /** The outbound state of a delivery, holding its own reference to the payload. */
  static OutboundMessage of(Delivery d) {
    d.message().payload().retain();
    return new OutboundMessage(d.message(), d.qos(), d.retain(), d.subscriptionIds(), d.group());
  }

  /**
   * This delivery's properties for a client of {@code version}: for 5.0 the forwarded ones, with
   * what is left of the expiry interval and the subscription identifiers [MQTT-3.3.2-6]
   * [MQTT-3.3.4-3]; none before 5.0.
   */
  private Properties properties(MqttVersion version, long nowNanos) {
    return version.isV5()
        ? message.deliveryProperties(subscriptionIds, nowNanos)
        : Properties.EMPTY;
  }

  /** Whether this delivery fits the client's Maximum Packet Size [MQTT-3.1.2-24]. */
  boolean fits(SessionConnection conn, long nowNanos) {
    Properties props = properties(conn.version(), nowNanos);
    return conn.fits(message.topic(), qos, props, message.payload().readableBytes());
  }

  /**
   * Writes this delivery to {@code conn} from its own fields, sharing the message's payload (no
   * PUBLISH is built for it); false, with nothing written, when it is too large for the client.
   */
  boolean writeTo(SessionConnection conn, boolean dup, long nowNanos) {
    Properties props = properties(conn.version(), nowNanos);
    ByteBuf payload = message.payload();
    if (!conn.fits(message.topic(), qos, props, payload.readableBytes())) {
      return false;
    }
    conn.writePublish(message.topic(), qos, retain, dup, packetId, props, payload);
    return true;
  }

  void release() {
    awaitingRecord = false;
    message.payload().release();
  }
}
