package io.starling.broker.session;

import io.netty.buffer.ByteBuf;
import io.starling.codec.QoS;

/**
 * A message on its way to one subscriber: queued, or in flight awaiting acknowledgement. Owned by
 * its session's event loop. Holds one reference to {@code payload}, released when the message is
 * acknowledged or dropped.
 */
final class OutboundMessage {
  final String topic;
  final ByteBuf payload;
  final QoS qos;
  final boolean retain;
  int packetId;

  /** For QoS 2: PUBREC received, PUBREL sent, awaiting PUBCOMP. */
  boolean released;

  OutboundMessage(String topic, ByteBuf payload, QoS qos, boolean retain) {
    this.topic = topic;
    this.payload = payload;
    this.qos = qos;
    this.retain = retain;
  }
}
