package io.starling.codec.packet;

import io.starling.codec.PacketType;
import io.starling.codec.ReasonCode;
import java.util.List;
import java.util.Objects;

/**
 * UNSUBACK: acknowledges an UNSUBSCRIBE. MQTT 5.0 carries one reason code per filter; before 5.0
 * the list is empty.
 *
 * @param packetId the packet identifier of the UNSUBSCRIBE
 * @param reasonCodes one per filter (MQTT 5.0), empty otherwise
 * @param properties the properties (MQTT 5.0)
 */
public record UnsubAck(int packetId, List<ReasonCode> reasonCodes, Properties properties)
    implements MqttPacket {
  public UnsubAck {
    Acks.checkPacketId(packetId);
    reasonCodes = List.copyOf(reasonCodes);
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.UNSUBACK;
  }
}
