package io.starling.broker.session;

import io.starling.broker.model.Message;
import io.starling.broker.routing.SharedGroup;
import io.starling.codec.QoS;

/**
 * A message on its way to one subscriber: queued, or in flight awaiting acknowledgement. Owned by
 * its session's event loop. Holds one reference to the message's payload, released when the message
 * is acknowledged or dropped.
 */
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
  io.starling.codec.packet.Publish pendingWrite;

  OutboundMessage(
      Message message, QoS qos, boolean retain, int[] subscriptionIds, SharedGroup group) {
    this.message = message;
    this.qos = qos;
    this.retain = retain;
    this.subscriptionIds = subscriptionIds;
    this.group = group;
  }

  void release() {
    if (pendingWrite != null) {
      pendingWrite.release();
      pendingWrite = null;
    }
    message.payload().release();
  }
}
