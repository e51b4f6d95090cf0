package io.starling.codec.packet;

import io.starling.codec.PacketType;
import io.starling.codec.ReasonCode;
import java.util.Objects;

/**
 * CONNACK: the server's answer to CONNECT. In 3.1/3.1.1 the reason code is written as the return
 * code of {@link ReasonCode#v3ConnectReturnCode()}.
 *
 * @param sessionPresent whether the server resumed a stored session
 * @param reasonCode the outcome
 * @param properties the CONNACK properties (MQTT 5.0)
 */
public record ConnAck(boolean sessionPresent, ReasonCode reasonCode, Properties properties)
    implements MqttPacket {
  public ConnAck {
    Objects.requireNonNull(reasonCode, "reasonCode");
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.CONNACK;
  }
}
