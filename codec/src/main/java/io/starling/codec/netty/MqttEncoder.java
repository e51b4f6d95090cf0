package io.starling.codec.netty;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.starling.codec.MqttVersion;
import io.starling.codec.PacketEncoder;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Publish;
import java.util.List;
import java.util.function.Function;

/**
 * Writes {@link MqttPacket}s for the channel's protocol version. A PUBLISH goes out as two buffers:
 * its own small header and a retained duplicate of the payload, so that one payload is shared by
 * every subscriber it is written to and is never copied. The encoder releases the packet it was
 * given, as Netty's encoders do.
 */
@Sharable
public final class MqttEncoder extends MessageToMessageEncoder<MqttPacket> {
  private final Function<ChannelHandlerContext, MqttVersion> versionOf;

  /**
   * @param versionOf the protocol version of a channel, read on its event loop for every packet
   */
  public MqttEncoder(Function<ChannelHandlerContext, MqttVersion> versionOf) {
    super(MqttPacket.class);
    this.versionOf = versionOf;
  }

  /** An encoder for channels that all speak one version. */
  public static MqttEncoder of(MqttVersion version) {
    return new MqttEncoder(ctx -> version);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, MqttPacket packet, List<Object> out) {
    MqttVersion version = versionOf.apply(ctx);
    if (packet instanceof Publish p) {
      int payloadBytes = p.payload().readableBytes();
      out.add(PacketEncoder.encodePublishHeader(p, version, ctx.alloc(), payloadBytes));
      if (payloadBytes > 0) {
        out.add(p.payload().retainedDuplicate());
      }
      return;
    }
    out.add(PacketEncoder.encode(packet, version, ctx.alloc()));
  }
}
