package io.starling.codec.packet;

import io.starling.codec.PacketType;

/** PINGREQ: a keep-alive probe from the client. */
public record PingReq() implements MqttPacket {
  /** The one instance there needs to be. */
  public static final PingReq INSTANCE = new PingReq();

  @Override
  public PacketType type() {
    return PacketType.PINGREQ;
  }
}
