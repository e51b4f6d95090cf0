package io.starling.loadgen;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.VariableByteInteger;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.wire.PacketEncoder;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One load-generating MQTT connection. To keep the load tool from becoming the bottleneck it does
 * not build packet objects on the hot path: it writes PUBLISH frames from a pre-encoded prefix, and
 * reads frames in place (fixed header, packet id, payload) without decoding topics. Set-up packets
 * (CONNECT, SUBSCRIBE) go through Starling's encoder. All methods but the futures run on the
 * channel's event loop.
 */
final class LoadConnection extends ByteToMessageDecoder {
  final CompletableFuture<Void> connected = new CompletableFuture<>();
  final CompletableFuture<Void> subscribed = new CompletableFuture<>();
  private final MqttVersion version;
  private final Consumer<ByteBuf> onMessage;
  private Channel channel;
  private Runnable onWindowOpen = () -> {};
  private byte[] publishPrefix;
  private int publishFirstByte;

  /** Outbound QoS 1/2 messages not yet completed. */
  private int inflight;

  private int nextPacketId = 1;

  /**
   * @param onMessage gets the payload of each PUBLISH received, valid only during the call
   */
  LoadConnection(MqttVersion version, Consumer<ByteBuf> onMessage) {
    this.version = version;
    this.onMessage = onMessage;
  }

  Channel channel() {
    return channel;
  }

  int inflight() {
    return inflight;
  }

  /** Called on the event loop whenever an acknowledgement frees a slot or the socket drains. */
  void onWindowOpen(Runnable r) {
    this.onWindowOpen = r;
  }

  /** Writes a set-up packet through the codec. */
  void send(MqttPacket packet) {
    channel.writeAndFlush(PacketEncoder.encode(packet, version, channel.alloc()));
  }

  /** Fixes the topic and QoS of every {@link #publish} on this connection. */
  void preparePublish(String topic, QoS qos) {
    ByteBuf tmp = ByteBufAllocator.DEFAULT.heapBuffer();
    try {
      tmp.writeShort(ByteBufUtil.utf8Bytes(topic));
      ByteBufUtil.writeUtf8(tmp, topic);
      publishPrefix = ByteBufUtil.getBytes(tmp);
    } finally {
      tmp.release();
    }
    publishFirstByte = 0x30 | (qos.value() << 1);
  }

  /*
   * PUBLISH as written here:
   *   byte 1     0x30 | QoS << 1
   *   1-4 bytes  remaining length
   *   2 + n      topic (pre-encoded prefix)
   *   2          packet id (QoS 1 and 2)
   *   1          property length 0 (MQTT 5)
   *   payload    written by the caller into the same buffer
   */
  /** Starts a PUBLISH frame for a payload of {@code payloadBytes}; the caller appends it. */
  ByteBuf startPublish(int payloadBytes) {
    boolean withId = (publishFirstByte & 0x06) != 0;
    int remaining =
        publishPrefix.length + (withId ? 2 : 0) + (version.isV5() ? 1 : 0) + payloadBytes;
    ByteBuf b = channel.alloc().directBuffer(1 + VariableByteInteger.size(remaining) + remaining);
    b.writeByte(publishFirstByte);
    VariableByteInteger.write(b, remaining);
    b.writeBytes(publishPrefix);
    if (withId) {
      int id = nextPacketId;
      nextPacketId = id == 0xFFFF ? 1 : id + 1;
      inflight++;
      b.writeShort(id);
    }
    if (version.isV5()) {
      b.writeByte(0);
    }
    return b;
  }

  /** Binds this handler to its channel once connected. */
  void attach(Channel ch) {
    this.channel = ch;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    connected.completeExceptionally(new IllegalStateException("connection closed"));
    subscribed.completeExceptionally(new IllegalStateException("connection closed"));
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    connected.completeExceptionally(cause);
    ctx.close();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (ctx.channel().isWritable()) {
      onWindowOpen.run();
    }
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    ctx.flush();
    super.channelReadComplete(ctx);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (true) {
      int start = in.readerIndex();
      if (in.readableBytes() < 2) {
        return;
      }
      int first = in.readUnsignedByte();
      int remaining = VariableByteInteger.read(in);
      if (remaining == VariableByteInteger.INCOMPLETE || in.readableBytes() < remaining) {
        in.readerIndex(start);
        return;
      }
      if (remaining < 0) {
        throw new IllegalStateException("broker sent a bad remaining length");
      }
      int end = in.readerIndex() + remaining;
      onFrame(ctx, first, in, end);
      in.readerIndex(end);
    }
  }

  private void onFrame(ChannelHandlerContext ctx, int first, ByteBuf in, int end) {
    switch (first >> 4) {
      case 3 -> { // PUBLISH
        int qos = (first >> 1) & 0x03;
        in.skipBytes(in.readUnsignedShort());
        int id = qos > 0 ? in.readUnsignedShort() : 0;
        if (version.isV5()) {
          int propertyLength = VariableByteInteger.read(in);
          in.skipBytes(propertyLength);
        }
        onMessage.accept(in.slice(in.readerIndex(), end - in.readerIndex()));
        if (qos == 1) {
          ack(ctx, 0x40, id); // PUBACK
        } else if (qos == 2) {
          ack(ctx, 0x50, id); // PUBREC
        }
      }
      case 4, 7 -> { // PUBACK, PUBCOMP
        inflight--;
        onWindowOpen.run();
      }
      case 5 -> ack(ctx, 0x62, in.readUnsignedShort()); // PUBREC -> PUBREL
      case 6 -> ack(ctx, 0x70, in.readUnsignedShort()); // PUBREL -> PUBCOMP
      case 2 -> { // CONNACK
        in.skipBytes(1);
        int code = in.readUnsignedByte();
        if (code == 0) {
          connected.complete(null);
        } else {
          connected.completeExceptionally(new IllegalStateException("CONNACK code " + code));
          ctx.close();
        }
      }
      case 9 -> subscribed.complete(null); // SUBACK
      case 13 -> {} // PINGRESP
      default -> ctx.close();
    }
  }

  private static void ack(ChannelHandlerContext ctx, int firstByte, int packetId) {
    ByteBuf b = ctx.alloc().directBuffer(4);
    b.writeByte(firstByte).writeByte(2).writeShort(packetId);
    ctx.write(b, ctx.voidPromise());
  }
}
