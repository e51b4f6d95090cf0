package io.starling.broker.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.starling.codec.CodecLimits;
import io.starling.codec.MqttVersion;
import io.starling.codec.netty.MqttDecoder;
import io.starling.codec.packet.MqttPacket;
import java.util.ArrayList;
import java.util.List;

/** Reads back, as packets, what a test channel was sent. */
final class Wire {
  private Wire() {}

  /** Decodes every buffer flushed to {@code channel} so far, as a client of {@code version}. */
  static List<MqttPacket> sent(EmbeddedChannel channel, MqttVersion version) {
    EmbeddedChannel client =
        new EmbeddedChannel(MqttDecoder.forClient(CodecLimits.DEFAULTS, version));
    for (Object o; (o = channel.readOutbound()) != null; ) {
      client.writeInbound((ByteBuf) o);
    }
    List<MqttPacket> packets = new ArrayList<>();
    for (Object p; (p = client.readInbound()) != null; ) {
      packets.add((MqttPacket) p);
    }
    client.finishAndReleaseAll();
    return packets;
  }
}
