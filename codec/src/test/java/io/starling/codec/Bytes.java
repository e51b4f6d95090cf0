package io.starling.codec;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Builders for hand-written wire bytes in tests. */
final class Bytes {
  private Bytes() {}

  /** Bytes from hex fields such as {@code "00 04"}, {@code "4D515454"}; spaces are ignored. */
  static byte[] hex(String... fields) {
    StringBuilder all = new StringBuilder();
    for (String field : fields) {
      all.append(field.replace(" ", ""));
    }
    return HexFormat.of().parseHex(all);
  }

  /** Concatenates byte arrays. */
  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /**
   * A whole packet: the first fixed-header byte, the remaining length computed from the fields, and
   * the fields.
   */
  static byte[] frame(int firstByte, byte[]... fields) {
    byte[] body = concat(fields);
    return concat(new byte[] {(byte) firstByte}, varInt(body.length), body);
  }

  /** A variable byte integer, written here independently of {@link VariableByteInteger}. */
  static byte[] varInt(int value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    do {
      int b = value % 128;
      value /= 128;
      out.write(value > 0 ? b | 0x80 : b);
    } while (value > 0);
    return out.toByteArray();
  }

  /** A UTF-8 string field: two-byte length, then the UTF-8 bytes. */
  static byte[] str(String s) {
    return lengthPrefixed(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A binary or string field from raw bytes: two-byte length, then the bytes. */
  static byte[] lengthPrefixed(byte[] bytes) {
    return concat(u16(bytes.length), bytes);
  }

  /** A two-byte integer. */
  static byte[] u16(int value) {
    return new byte[] {(byte) (value >> 8), (byte) value};
  }

  /** An MQTT 5.0 property block: its variable byte integer length, then the properties. */
  static byte[] props(byte[]... properties) {
    byte[] body = concat(properties);
    return concat(varInt(body.length), body);
  }

  /** Bytes as space-separated hex, for failure messages. */
  static String toHex(byte[] bytes) {
    return HexFormat.ofDelimiter(" ").withUpperCase().formatHex(bytes);
  }
}
