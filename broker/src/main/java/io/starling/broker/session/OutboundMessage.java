package io.starling.broker.session;

import io.starling.broker.model.Message;
import io.starling.broker.routing.Delivery;
import io.starling.broker.routing.SharedGroup;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Publish;

/**
 * A message on its way to one subscriber: queued, or in flight awaiting acknowledgement. It keeps
 * the per-subscriber state of one delivery (QoS, RETAIN, subscription identifiers, packet id,
 * acknowledgement progress) next to the one shared {@link Message}. Owned by its session's event
 * loop. Holds one reference to the message's payload, released when the message is acknowledged or
 * dropped.
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

  /** The PUBLISH waiting for its in-flight record to be durable before it is written, or null. */
  Publish pendingWrite;

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
   * The PUBLISH packet of this delivery for a client of {@code version}: the shared payload (a
   * retained duplicate), and for 5.0 the forwarded properties with what is left of the expiry
   * interval and the subscription identifiers [MQTT-3.3.2-6] [MQTT-3.3.4-3].
   */
  Publish toPublish(MqttVersion version, boolean dup, long nowNanos) {
    Properties props =
        version.isV5() ? message.deliveryProperties(subscriptionIds, nowNanos) : Properties.EMPTY;
    return new Publish(
        message.topic(), qos, retain, dup, packetId, props, message.payload().retainedDuplicate());
  }

  void release() {
    if (pendingWrite != null) {
      pendingWrite.release();
      pendingWrite = null;
    }
    message.payload().release();
  }
}
