package io.starling.codec.packet;

import io.starling.codec.PacketType;
import java.util.List;

/**
 * SUBSCRIBE: one or more topic filters to subscribe to.
 *
 * @param packetId the packet identifier, 1 to 65535
 * @param subscriptions at least one subscription [MQTT-3.8.3-3]
 * @param properties the properties (MQTT 5.0)
 */
public record Subscribe(int packetId, List<Subscription> subscriptions, Properties properties)
    implements MqttPacket {
  public Subscribe {
    Acks.checkPacketId(packetId);
    subscriptions = List.copyOf(subscriptions);
    if (subscriptions.isEmpty()) {
      throw new IllegalArgumentException("SUBSCRIBE needs at least one filter [MQTT-3.8.3-3]");
    }
    java.util.Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.SUBSCRIBE;
  }
}
