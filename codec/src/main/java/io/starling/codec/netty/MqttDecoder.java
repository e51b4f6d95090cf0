package io.starling.codec.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.starling.codec.CodecLimits;
import io.starling.codec.MalformedPacketException;
import io.starling.codec.MqttVersion;
import io.starling.codec.PacketType;
import io.starling.codec.ReasonCode;
import io.starling.codec.VariableByteInteger;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.wire.PacketDecoder;
import java.util.List;

/**
 * Frames MQTT packets out of a byte stream and decodes them with {@link PacketDecoder}.
 *
 * <p>The fixed header is read first; a remaining length over the limit fails with 0x95 Packet Too
 * Large before any of the body is waited for, so a peer can never make the decoder buffer more than
 * the limit. The first packet is held to {@link CodecLimits#maxConnectPacketSizeBytes()}.
 *
 * <p>A fault is thrown as a {@link MalformedPacketException} (Netty wraps it in a {@code
 * DecoderException}); packets decoded before it are passed on first. After a fault the decoder
 * discards all further input: the connection is to be closed.
 *
 * <p>One instance per channel. In server mode the protocol version comes from the CONNECT; in
 * client mode it is given.
 */
public final class MqttDecoder extends ByteToMessageDecoder {
  /** CONNECT's packet type, the high nibble of a connection's first byte. */
  private static final int CONNECT_TYPE = 1;

  private final PacketDecoder decoder;
  private final CodecLimits limits;
  private final int maxPacketSizeBytes;
  private MqttVersion version;
  private boolean failed;
  private long bytesDecoded;

  private MqttDecoder(CodecLimits limits, MqttVersion version) {
    this.decoder = new PacketDecoder(limits);
    this.limits = limits;
    this.maxPacketSizeBytes = limits.maxPacketSizeBytes();
    this.version = version;
  }

  /** A decoder for a server: the first packet must be a CONNECT, which sets the version. */
  public static MqttDecoder forServer(CodecLimits limits) {
    return new MqttDecoder(limits, null);
  }

  /** A decoder for a client that connected with {@code version}. */
  public static MqttDecoder forClient(CodecLimits limits, MqttVersion version) {
    return new MqttDecoder(limits, version);
  }

  /** The version in use, or {@code null} before CONNECT. */
  public MqttVersion version() {
    return version;
  }

  /** Bytes of whole packets decoded since the last call, for statistics. */
  public long takeBytesDecoded() {
    long b = bytesDecoded;
    bytesDecoded = 0;
    return b;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    try {
      MqttPacket packet = readPacket(in);
      if (packet != null) {
        out.add(packet);
      }
    } catch (MalformedPacketException e) {
      failed = true;
      in.skipBytes(in.readableBytes());
      throw e;
    }
  }

  /*
   * Fixed header:
   *   byte 1      packet type (bits 7-4) and flags (bits 3-0)
   *   bytes 2..5  remaining length, a variable byte integer of 1 to 4 bytes
   */
  private MqttPacket readPacket(ByteBuf in) {
    int start = in.readerIndex();
    if (version == null && in.isReadable() && (in.getUnsignedByte(start) >> 4) != CONNECT_TYPE) {
      // A server knows after one byte whether a connection can be MQTT: its first packet must
      // be a CONNECT [MQTT-3.1.0-1] (type 1; its flags are checked with the packet). An HTTP
      // request or any other protocol is refused now, not after the connect timeout or once the
      // "remaining length" its second byte seems to announce has come.
      int b = in.getUnsignedByte(start);
      PacketType type = PacketType.of(b >> 4);
      throw new MalformedPacketException(
          type == null ? ReasonCode.MALFORMED_PACKET : ReasonCode.PROTOCOL_ERROR,
          null,
          type,
          String.format("the first packet must be CONNECT, not one starting 0x%02x", b));
    }
    if (in.readableBytes() < 2) {
      return null;
    }
    int firstByte = in.readUnsignedByte();
    int remaining = VariableByteInteger.read(in);
    if (remaining == VariableByteInteger.INCOMPLETE) {
      in.readerIndex(start);
      return null;
    }
    PacketType type = PacketType.of(firstByte >> 4);
    if (remaining < 0) {
      throw new MalformedPacketException(
          ReasonCode.MALFORMED_PACKET, version, type, VariableByteInteger.problem(remaining));
    }
    int headerBytes = in.readerIndex() - start;
    long total = (long) headerBytes + remaining;
    int limit = version == null ? limits.maxConnectPacketSizeBytes() : maxPacketSizeBytes;
    if (total > limit) {
      throw new MalformedPacketException(
          ReasonCode.PACKET_TOO_LARGE,
          version,
          type,
          "packet of " + total + " bytes is over the limit of " + limit);
    }
    if (in.readableBytes() < remaining) {
      in.readerIndex(start);
      return null;
    }
    ByteBuf body = in.readSlice(remaining);
    bytesDecoded += total;
    MqttPacket packet = decoder.decode(firstByte, body, version);
    if (packet instanceof Connect c && version == null) {
      version = c.version();
    }
    return packet;
  }
}
