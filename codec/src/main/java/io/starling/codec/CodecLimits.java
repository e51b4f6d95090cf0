package io.starling.codec;

/**
 * Limits the decoder enforces before it buffers or builds anything, so that a peer can never make
 * it allocate what the peer declared.
 *
 * @param maxPacketSizeBytes the largest whole packet (fixed header included) accepted once CONNECT
 *     has been read; larger packets fail with 0x95 Packet Too Large before their body is buffered
 * @param maxConnectPacketSizeBytes the lower cap applied to the first packet of a connection,
 *     before the peer is known
 * @param maxUserProperties the most user properties one packet may carry
 * @param maxFiltersPerPacket the most topic filters one SUBSCRIBE or UNSUBSCRIBE may carry
 */
public record CodecLimits(
    int maxPacketSizeBytes,
    int maxConnectPacketSizeBytes,
    int maxUserProperties,
    int maxFiltersPerPacket) {

  /** The largest packet the protocol can express: 268,435,455 bytes of body plus 5 of header. */
  public static final int PROTOCOL_MAX_PACKET_SIZE = 268_435_455 + 5;

  /**
   * Safe defaults for a broker: 1 MiB packets, 256 KiB CONNECT, 64 user properties, and the filters
   * per packet {@link #filtersFor} 1 MiB allows (16,384).
   */
  public static final CodecLimits DEFAULTS =
      new CodecLimits(1 << 20, 256 << 10, 64, filtersFor(1 << 20));

  /**
   * The most topic filters one SUBSCRIBE or UNSUBSCRIBE may carry under a packet size limit: the
   * specification sets no count, so the bound follows the packet size (one filter per 64 bytes, at
   * least 128, at most 65,535), so that what the decoder builds per filter stays a small multiple
   * of the bytes received whatever limit is configured.
   */
  public static int filtersFor(int maxPacketSizeBytes) {
    return Math.max(128, Math.min(65_535, maxPacketSizeBytes / 64));
  }

  public CodecLimits {
    if (maxPacketSizeBytes < 2 || maxPacketSizeBytes > PROTOCOL_MAX_PACKET_SIZE) {
      throw new IllegalArgumentException(
          "maxPacketSizeBytes must be between 2 and " + PROTOCOL_MAX_PACKET_SIZE);
    }
    if (maxConnectPacketSizeBytes < 2) {
      throw new IllegalArgumentException("maxConnectPacketSizeBytes must be at least 2");
    }
    if (maxUserProperties < 0 || maxFiltersPerPacket < 1) {
      throw new IllegalArgumentException("property and filter caps must be positive");
    }
  }

  /** A copy with another maximum packet size, and the filter bound {@link #filtersFor} it. */
  public CodecLimits withMaxPacketSizeBytes(int bytes) {
    return new CodecLimits(bytes, maxConnectPacketSizeBytes, maxUserProperties, filtersFor(bytes));
  }
}
