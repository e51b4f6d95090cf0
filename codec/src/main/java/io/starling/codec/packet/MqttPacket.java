package io.starling.codec.packet;

import io.starling.codec.PacketType;

/** One MQTT control packet. Every implementation is an immutable record. */
public sealed interface MqttPacket
    permits Connect,
        ConnAck,
        Publish,
        PubAck,
        PubRec,
        PubRel,
        PubComp,
        Subscribe,
        SubAck,
        Unsubscribe,
        UnsubAck,
        PingReq,
        PingResp,
        Disconnect,
        Auth {

  /** The control packet type. */
  PacketType type();
}
