package io.starling.codec.packet;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An immutable run of bytes: MQTT "Binary Data" such as a password, correlation data,
 * authentication data or a will payload. Equality is by content.
 */
public final class BinaryData {
  /** No bytes. */
  public static final BinaryData EMPTY = new BinaryData(new byte[0]);

  private final byte[] bytes;

  private BinaryData(byte[] bytes) {
    this.bytes = bytes;
  }

  /** A copy of {@code bytes}; the caller may go on changing its array. */
  public static BinaryData of(byte[] bytes) {
    return bytes.length == 0 ? EMPTY : new BinaryData(bytes.clone());
  }

  /** Reads {@code length} bytes from {@code in}; the caller has checked they are there. */
  public static BinaryData read(ByteBuf in, int length) {
    if (length == 0) {
      return EMPTY;
    }
    byte[] bytes = new byte[length];
    in.readBytes(bytes);
    return new BinaryData(bytes);
  }

  /** Writes the bytes to {@code out}, without a length prefix. */
  public void writeTo(ByteBuf out) {
    out.writeBytes(bytes);
  }

  /** The number of bytes. */
  public int length() {
    return bytes.length;
  }

  /** A copy of the bytes. */
  public byte[] toByteArray() {
    return bytes.clone();
  }

  /** The byte at {@code index}. */
  public byte byteAt(int index) {
    return bytes[index];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BinaryData other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return bytes.length <= 32
        ? "0x" + HexFormat.of().formatHex(bytes)
        : "BinaryData[" + bytes.length + " bytes]";
  }
}
