package io.starling.codec.packet;

import io.starling.codec.PacketType;

/** PINGRESP: the server's answer to PINGREQ. */
public record PingResp() implements MqttPacket {
  /** The one instance there needs to be. */
  public static final PingResp INSTANCE = new PingResp();

  @Override
  public PacketType type() {
    return PacketType.PINGRESP;
  }
}
