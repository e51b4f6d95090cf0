package io.starling.codec.packet;

import io.starling.codec.PacketType;
import io.starling.codec.ReasonCode;
import java.util.Objects;

/**
 * DISCONNECT: the orderly end of a connection. Before MQTT 5.0 only the client sends it and it
 * carries nothing; the reason code is then {@link ReasonCode#SUCCESS}.
 *
 * @param reasonCode why the connection ends; {@link ReasonCode#SUCCESS} is "normal disconnection"
 * @param properties the properties (MQTT 5.0)
 */
public record Disconnect(ReasonCode reasonCode, Properties properties) implements MqttPacket {
  /** A normal disconnection without properties. */
  public static final Disconnect NORMAL = new Disconnect(ReasonCode.SUCCESS, Properties.EMPTY);

  public Disconnect {
    Objects.requireNonNull(reasonCode, "reasonCode");
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.DISCONNECT;
  }
}
