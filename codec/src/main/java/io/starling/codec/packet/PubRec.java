package io.starling.codec.packet;

import io.starling.codec.PacketType;
import io.starling.codec.ReasonCode;
import java.util.Objects;

/**
 * PUBREC: first acknowledgement of a QoS 2 PUBLISH.
 *
 * @param packetId the packet identifier, 1 to 65535
 * @param reasonCode the outcome; always {@link ReasonCode#SUCCESS} before MQTT 5.0
 * @param properties the properties (MQTT 5.0)
 */
public record PubRec(int packetId, ReasonCode reasonCode, Properties properties)
    implements MqttPacket {
  public PubRec {
    Acks.checkPacketId(packetId);
    Objects.requireNonNull(reasonCode, "reasonCode");
    Objects.requireNonNull(properties, "properties");
  }

  /** A successful acknowledgement without properties. */
  public static PubRec of(int packetId) {
    return new PubRec(packetId, ReasonCode.SUCCESS, Properties.EMPTY);
  }

  @Override
  public PacketType type() {
    return PacketType.PUBREC;
  }
}
