package io.starling.codec.packet;

import io.starling.codec.PacketType;
import io.starling.codec.ReasonCode;
import java.util.List;
import java.util.Objects;

/**
 * SUBACK: one reason code per filter of the SUBSCRIBE, in order [MQTT-3.8.4-6]. Before MQTT 5.0
 * only {@link ReasonCode#SUCCESS} (granted QoS 0), {@link ReasonCode#GRANTED_QOS_1}, {@link
 * ReasonCode#GRANTED_QOS_2} and {@link ReasonCode#UNSPECIFIED_ERROR} (0x80, failure) exist.
 *
 * @param packetId the packet identifier of the SUBSCRIBE
 * @param reasonCodes one per filter
 * @param properties the properties (MQTT 5.0)
 */
public record SubAck(int packetId, List<ReasonCode> reasonCodes, Properties properties)
    implements MqttPacket {
  public SubAck {
    Acks.checkPacketId(packetId);
    reasonCodes = List.copyOf(reasonCodes);
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.SUBACK;
  }
}
