package io.starling.codec.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.starling.codec.MqttVersion;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Publish;
import io.starling.codec.wire.PacketEncoder;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * Writes {@link MqttPacket}s for the channel's protocol version. A PUBLISH goes out as two buffers:
 * its own small header and a retained duplicate of the payload, so that one payload is shared by
 * every subscriber it is written to and is never copied. The encoder releases the packet it was
 * given, as Netty's encoders do.
 */
@Sharable
public final class MqttEncoder extends MessageToMessageEncoder<MqttPacket> {
  /**
   * Payloads up to this size are copied behind their header instead: one buffer per packet costs
   * less than a shared duplicate's reference counting and a second entry in the outbound buffer
   * (see FanoutEncodeBenchmark).
   */
  static final int COPY_BELOW_BYTES = 256;

  private final Function<ChannelHandlerContext, MqttVersion> versionOf;
  private final LongConsumer bytesWritten;

  /**
   * @param versionOf the protocol version of a channel, read on its event loop for every packet
   * @param bytesWritten told the size of every packet written, from any event loop
   */
  public MqttEncoder(
      Function<ChannelHandlerContext, MqttVersion> versionOf, LongConsumer bytesWritten) {
    super(MqttPacket.class);
    this.versionOf = versionOf;
    this.bytesWritten = bytesWritten;
  }

  /** An encoder for channels that all speak one version. */
  public static MqttEncoder of(MqttVersion version) {
    return new MqttEncoder(ctx -> version, bytes -> {});
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, MqttPacket packet, List<Object> out) {
    bytesWritten.accept(encode(packet, versionOf.apply(ctx), ctx.alloc(), out::add));
  }

  /**
   * Encodes a packet into one buffer, or for a PUBLISH with a payload over {@value
   * #COPY_BELOW_BYTES} bytes into its header and a retained duplicate of the payload, handing each
   * to {@code sink} in order. Releases nothing: the caller still owns {@code packet}. For handlers
   * that write packets themselves without an encoder in the pipeline.
   *
   * @return the number of bytes handed to {@code sink}
   */
  public static long encode(
      MqttPacket packet, MqttVersion version, ByteBufAllocator alloc, Consumer<ByteBuf> sink) {
    if (packet instanceof Publish p && p.payload().readableBytes() > COPY_BELOW_BYTES) {
      int payloadBytes = p.payload().readableBytes();
      ByteBuf header = PacketEncoder.encodePublishHeader(p, version, alloc, payloadBytes);
      long bytes = header.readableBytes() + (long) payloadBytes;
      sink.accept(header);
      sink.accept(p.payload().retainedDuplicate());
      return bytes;
    }
    ByteBuf whole = PacketEncoder.encode(packet, version, alloc);
    long bytes = whole.readableBytes();
    sink.accept(whole);
    return bytes;
  }
}
