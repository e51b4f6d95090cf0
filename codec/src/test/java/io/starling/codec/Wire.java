package io.starling.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.wire.PacketDecoder;
import io.starling.codec.wire.PacketEncoder;

/** Encoding to and decoding from byte arrays, for tests. */
final class Wire {
  /** Limits no generated packet reaches. */
  static final CodecLimits LARGE =
      new CodecLimits(
          CodecLimits.PROTOCOL_MAX_PACKET_SIZE, CodecLimits.PROTOCOL_MAX_PACKET_SIZE, 1_000, 1_000);

  /** Unpooled heap buffers, without leak detection. */
  static final UnpooledByteBufAllocator HEAP_FOR_TESTS = new UnpooledByteBufAllocator(false);

  private Wire() {}

  /** The bytes {@link PacketEncoder#encode} writes. */
  static byte[] encode(MqttPacket packet, MqttVersion version) {
    ByteBuf buf = PacketEncoder.encode(packet, version, HEAP_FOR_TESTS);
    try {
      return ByteBufUtil.getBytes(buf);
    } finally {
      buf.release();
    }
  }

  /**
   * Decodes exactly one whole frame without Netty's framing: reads the fixed header here and hands
   * the body to {@link PacketDecoder}. A decoded PUBLISH holds its payload; the caller releases it.
   *
   * @throws MalformedPacketException as the decoder does
   */
  static MqttPacket decodeFrame(byte[] frame, MqttVersion version, CodecLimits limits) {
    ByteBuf in = Unpooled.wrappedBuffer(frame);
    try {
      int firstByte = in.readUnsignedByte();
      int remaining = VariableByteInteger.read(in);
      if (remaining != in.readableBytes()) {
        throw new AssertionError(
            "remaining length " + remaining + " but " + in.readableBytes() + " bytes follow");
      }
      return new PacketDecoder(limits).decode(firstByte, in, version);
    } finally {
      in.release();
    }
  }
}
