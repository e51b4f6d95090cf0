package io.starling.broker.model;

import io.netty.buffer.ByteBufUtil;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.Property;
import io.starling.codec.packet.UserProperty;

/**
 * What a message weighs against the broker's byte limits ({@code limits.max_retained_bytes}, {@code
 * limits.max_queued_bytes}): its payload, its topic in UTF-8 and its forwarded properties (user
 * properties, content type, response topic and correlation data can be as large as the payload).
 * Not the exact heap footprint, but the part a client decides; object headers are constant per
 * message and bounded by the count limits.
 */
public final class MessageSize {
  /** What a property that is a number counts for (its identifier and value on the wire). */
  private static final int NUMBER_PROPERTY_BYTES = 5;

  private MessageSize() {}

  /** The bytes {@code m} counts for. */
  public static long of(Message m) {
    long bytes = (long) m.payload().readableBytes() + ByteBufUtil.utf8Bytes(m.topic());
    for (Property p : m.properties().entries()) {
      bytes += 1 + valueBytes(p.value());
    }
    return bytes;
  }

  private static long valueBytes(Object value) {
    if (value instanceof String s) {
      return 2L + ByteBufUtil.utf8Bytes(s);
    }
    if (value instanceof UserProperty u) {
      return 4L + ByteBufUtil.utf8Bytes(u.name()) + ByteBufUtil.utf8Bytes(u.value());
    }
    if (value instanceof BinaryData b) {
      return 2L + b.length();
    }
    return NUMBER_PROPERTY_BYTES;
  }
}
