package io.starling.broker.transport;

import io.starling.codec.packet.Auth;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.UnsubAck;

/** What may be left out of a packet the broker sends to fit the client's Maximum Packet Size. */
final class OutboundLimits {
  private OutboundLimits() {}

  /**
   * {@code p} without Reason String and User Properties, the properties the spec lets a sender drop
   * to stay within the receiver's Maximum Packet Size [MQTT-3.1.2-25]; {@code p} itself when it has
   * none or is of a type that carries neither.
   */
  static MqttPacket withoutProblemInformation(MqttPacket p) {
    if (p instanceof ConnAck a && has(a.properties())) {
      return new ConnAck(a.sessionPresent(), a.reasonCode(), bare(a.properties()));
    }
    if (p instanceof SubAck a && has(a.properties())) {
      return new SubAck(a.packetId(), a.reasonCodes(), bare(a.properties()));
    }
    if (p instanceof UnsubAck a && has(a.properties())) {
      return new UnsubAck(a.packetId(), a.reasonCodes(), bare(a.properties()));
    }
    if (p instanceof PubAck a && has(a.properties())) {
      return new PubAck(a.packetId(), a.reasonCode(), bare(a.properties()));
    }
    if (p instanceof PubRec a && has(a.properties())) {
      return new PubRec(a.packetId(), a.reasonCode(), bare(a.properties()));
    }
    if (p instanceof PubRel a && has(a.properties())) {
      return new PubRel(a.packetId(), a.reasonCode(), bare(a.properties()));
    }
    if (p instanceof PubComp a && has(a.properties())) {
      return new PubComp(a.packetId(), a.reasonCode(), bare(a.properties()));
    }
    if (p instanceof Disconnect d && has(d.properties())) {
      return new Disconnect(d.reasonCode(), bare(d.properties()));
    }
    if (p instanceof Auth a && has(a.properties())) {
      return new Auth(a.reasonCode(), bare(a.properties()));
    }
    return p;
  }

  private static boolean has(Properties p) {
    return p.get(PropertyId.REASON_STRING) != null || p.get(PropertyId.USER_PROPERTY) != null;
  }

  private static Properties bare(Properties p) {
    return p.without(PropertyId.REASON_STRING).without(PropertyId.USER_PROPERTY);
  }
}
