package io.starling.testkit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One server-to-client packet as {@link WireReader} read it from its bytes: what the fixed header,
 * variable header and payload say, with no interpretation beyond the specification's. Immutable.
 *
 * @param protocolLevel the protocol level it was read for: 3 (MQTT 3.1), 4 (3.1.1) or 5 (5.0)
 * @param type the control packet type, 2 to 15 (high nibble of the first byte)
 * @param flags the fixed-header flags (low nibble of the first byte)
 * @param remainingLength the Remaining Length of the fixed header
 * @param packetId the Packet Identifier, or 0 for a packet without one
 * @param sessionPresent CONNACK's Session Present flag; false for any other packet
 * @param reasonCodes the reason or return codes as written, in order: one for CONNACK (its return
 *     code before 5.0), for a 5.0 acknowledgement, DISCONNECT or AUTH that carries one; one per
 *     filter for SUBACK and 5.0 UNSUBACK; empty when the packet carries none
 * @param topic PUBLISH's Topic Name (empty when a 5.0 Topic Alias stands for it); null otherwise
 * @param payload PUBLISH's payload; empty for any other packet
 * @param properties the 5.0 properties in wire order; empty before 5.0
 */
public record WirePacket(
    int protocolLevel,
    int type,
    int flags,
    int remainingLength,
    int packetId,
    boolean sessionPresent,
    List<Integer> reasonCodes,
    String topic,
    byte[] payload,
    List<WireProperty> properties) {

  static final String[] TYPE_NAMES = {
    "Reserved(0)", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
    "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"
  };

  public WirePacket {
    reasonCodes = List.copyOf(reasonCodes);
    payload = payload.clone();
    properties = List.copyOf(properties);
  }

  /** The packet type's name as the specification writes it, such as {@code PUBLISH}. */
  public String typeName() {
    return TYPE_NAMES[type];
  }

  /** PUBLISH's DUP flag (bit 3). */
  public boolean dup() {
    return type == WireReader.PUBLISH && (flags & 0x08) != 0;
  }

  /** PUBLISH's QoS (bits 2-1); 0 for any other packet. */
  public int qos() {
    return type == WireReader.PUBLISH ? (flags >> 1) & 0x03 : 0;
  }

  /** PUBLISH's RETAIN flag (bit 0). */
  public boolean retain() {
    return type == WireReader.PUBLISH && (flags & 0x01) != 0;
  }

  /**
   * The packet's one reason code: the first written, or 0x00 (Success) when the packet leaves it
   * out (a 5.0 acknowledgement of Remaining Length 2, a DISCONNECT or AUTH of Remaining Length 0,
   * any acknowledgement before 5.0).
   */
  public int reasonCode() {
    return reasonCodes.isEmpty() ? 0x00 : reasonCodes.get(0);
  }

  /** A copy of the payload. */
  @Override
  public byte[] payload() {
    return payload.clone();
  }

  /** The value of the first property with this identifier, or null. */
  public Object property(int id) {
    for (WireProperty p : properties) {
      if (p.id() == id) {
        return p.value();
      }
    }
    return null;
  }

  /** The values of every property with this identifier, in order. */
  public List<Object> propertyValues(int id) {
    List<Object> out = new ArrayList<>();
    for (WireProperty p : properties) {
      if (p.id() == id) {
        out.add(p.value());
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WirePacket w
        && protocolLevel == w.protocolLevel
        && type == w.type
        && flags == w.flags
        && remainingLength == w.remainingLength
        && packetId == w.packetId
        && sessionPresent == w.sessionPresent
        && reasonCodes.equals(w.reasonCodes)
        && Objects.equals(topic, w.topic)
        && Arrays.equals(payload, w.payload)
        && properties.equals(w.properties);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, flags, packetId, reasonCodes, topic, properties)
        + 31 * Arrays.hashCode(payload);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(typeName()).append('[');
    sb.append("flags=").append(Integer.toBinaryString(flags));
    sb.append(", remainingLength=").append(remainingLength);
    if (packetId != 0) {
      sb.append(", packetId=").append(packetId);
    }
    if (type == WireReader.CONNACK) {
      sb.append(", sessionPresent=").append(sessionPresent);
    }
    if (!reasonCodes.isEmpty()) {
      sb.append(", reasonCodes=[");
      for (int i = 0; i < reasonCodes.size(); i++) {
        sb.append(i == 0 ? "" : ", ").append(String.format("0x%02X", reasonCodes.get(i)));
      }
      sb.append(']');
    }
    if (topic != null) {
      sb.append(", topic=")
          .append(topic)
          .append(", payload=")
          .append(payload.length)
          .append(" bytes");
    }
    if (!properties.isEmpty()) {
      sb.append(", properties=").append(properties);
    }
    return sb.append(']').toString();
  }
}
