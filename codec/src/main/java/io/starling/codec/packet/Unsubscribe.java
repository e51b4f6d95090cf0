package io.starling.codec.packet;

import io.starling.codec.PacketType;
import java.util.List;
import java.util.Objects;

/**
 * UNSUBSCRIBE: one or more topic filters to remove.
 *
 * @param packetId the packet identifier, 1 to 65535
 * @param filters at least one filter [MQTT-3.10.3-2]
 * @param properties the properties (MQTT 5.0)
 */
public record Unsubscribe(int packetId, List<String> filters, Properties properties)
    implements MqttPacket {
  public Unsubscribe {
    Acks.checkPacketId(packetId);
    filters = List.copyOf(filters);
    if (filters.isEmpty()) {
      throw new IllegalArgumentException("UNSUBSCRIBE needs at least one filter [MQTT-3.10.3-2]");
    }
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.UNSUBSCRIBE;
  }
}
