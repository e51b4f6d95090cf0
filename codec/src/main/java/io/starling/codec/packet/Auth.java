package io.starling.codec.packet;

import io.starling.codec.PacketType;
import io.starling.codec.ReasonCode;
import java.util.Objects;

/**
 * AUTH (MQTT 5.0 only): one step of an enhanced authentication exchange.
 *
 * @param reasonCode {@link ReasonCode#SUCCESS}, {@link ReasonCode#CONTINUE_AUTHENTICATION} or
 *     {@link ReasonCode#REAUTHENTICATE}
 * @param properties the properties, normally the authentication method and data
 */
public record Auth(ReasonCode reasonCode, Properties properties) implements MqttPacket {
  public Auth {
    Objects.requireNonNull(reasonCode, "reasonCode");
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.AUTH;
  }
}
