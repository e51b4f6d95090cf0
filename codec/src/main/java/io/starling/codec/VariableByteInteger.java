package io.starling.codec;

import io.netty.buffer.ByteBuf;

/**
 * The variable byte integer of MQTT (3.1.1 section 2.2.3, 5.0 section 1.5.5): seven bits a byte,
 * least significant group first, the high bit set on every byte but the last, at most four bytes,
 * so at most 268,435,455.
 */
public final class VariableByteInteger {
  /** The largest encodable value. */
  public static final int MAX = 268_435_455;

  /** {@link #read} result: the buffer ended before the last byte. */
  public static final int INCOMPLETE = -1;

  /** {@link #read} result: a fifth byte would be needed. */
  public static final int TOO_LONG = -2;

  /** {@link #read} result: more bytes than the value needs [MQTT-1.5.5-1]. */
  public static final int NOT_MINIMAL = -3;

  private VariableByteInteger() {}

  /**
   * Reads a value and advances the reader index past it, or returns one of the negative results
   * (leaving the reader index wherever it got to).
   */
  public static int read(ByteBuf in) {
    int value = 0;
    for (int i = 0; i < 4; i++) {
      if (!in.isReadable()) {
        return INCOMPLETE;
      }
      int b = in.readUnsignedByte();
      value |= (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        // A last byte of 0 after a first one means a shorter encoding existed.
        return (i > 0 && b == 0) ? NOT_MINIMAL : value;
      }
    }
    return TOO_LONG;
  }

  /** Words for a negative {@link #read} result. */
  public static String problem(int result) {
    return switch (result) {
      case INCOMPLETE -> "variable byte integer runs past the end of the packet";
      case TOO_LONG -> "variable byte integer longer than 4 bytes";
      case NOT_MINIMAL -> "variable byte integer not in its shortest form [MQTT-1.5.5-1]";
      default -> "bad variable byte integer";
    };
  }

  /** How many bytes {@code value} takes, 1 to 4. */
  public static int size(int value) {
    if (value < 128) {
      return 1;
    } else if (value < 16_384) {
      return 2;
    } else if (value < 2_097_152) {
      return 3;
    }
    return 4;
  }

  /** Writes {@code value}, 0 to {@link #MAX}. */
  public static void write(ByteBuf out, int value) {
    if (value < 0 || value > MAX) {
      throw new IllegalArgumentException("variable byte integer out of range: " + value);
    }
    do {
      int b = value & 0x7F;
      value >>>= 7;
      out.writeByte(value > 0 ? b | 0x80 : b);
    } while (value > 0);
  }
}
