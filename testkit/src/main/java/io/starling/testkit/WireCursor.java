package io.starling.testkit;

/**
 * Reads the primitive fields of one packet from a byte array, for {@link WireReader}: big-endian
 * integers, Variable Byte Integers, length-prefixed UTF-8 strings and binary data (MQTT 3.1.1
 * section 1.5, MQTT 5.0 section 1.5). Every read checks that its bytes are there, so a field that
 * runs past the Remaining Length is refused rather than read from the next packet.
 */
final class WireCursor {
  private final byte[] bytes;
  private final int end;
  private final String packet;
  private final boolean v5;
  private int pos;

  WireCursor(byte[] bytes, int start, int end, String packet, boolean v5) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.packet = packet;
    this.v5 = v5;
  }

  /** The bytes not yet read. */
  int remaining() {
    return end - pos;
  }

  /** A cursor over the next {@code length} bytes, which this cursor skips. */
  WireCursor slice(int length, String what) {
    need(length, what);
    WireCursor s = new WireCursor(bytes, pos, pos + length, packet, v5);
    pos += length;
    return s;
  }

  /** Fails unless every byte was read: a Remaining Length that does not match the fields. */
  void expectEnd() {
    if (pos != end) {
      throw fail(
          remaining()
              + " bytes left over after the last field: the Remaining Length does not match the"
              + " packet's fields");
    }
  }

  int u8(String what) {
    need(1, what);
    return bytes[pos++] & 0xFF;
  }

  int u16(String what) {
    need(2, what);
    int v = ((bytes[pos] & 0xFF) << 8) | (bytes[pos + 1] & 0xFF);
    pos += 2;
    return v;
  }

  long u32(String what) {
    need(4, what);
    long v = 0;
    for (int i = 0; i < 4; i++) {
      v = (v << 8) | (bytes[pos + i] & 0xFF);
    }
    pos += 4;
    return v;
  }

  /**
   * A Variable Byte Integer (5.0 section 1.5.5): 7 bits a byte, least significant first, at most 4
   * bytes, in the fewest bytes possible [MQTT-1.5.5-1].
   */
  int vbi(String what) {
    int value = 0;
    for (int i = 0; i < 4; i++) {
      int b = u8(what);
      value |= (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        if (i > 0 && b == 0) {
          throw fail(what + " is not encoded in the fewest bytes [MQTT-1.5.5-1]");
        }
        return value;
      }
    }
    throw fail(what + " runs over 4 bytes (section 1.5.5)");
  }

  /** A packet identifier, which is never 0 ([MQTT-2.3.1-1] in 3.1.1, section 2.2.1 in 5.0). */
  int packetId() {
    int id = u16("Packet Identifier");
    if (id == 0) {
      throw fail(
          "Packet Identifier is 0 " + (v5 ? "[MQTT-2.2.1-4] (section 2.2.1)" : "[MQTT-2.3.1-1]"));
    }
    return id;
  }

  byte[] binary(String what) {
    int length = u16(what + " length");
    need(length, what);
    byte[] out = new byte[length];
    System.arraycopy(bytes, pos, out, 0, length);
    pos += length;
    return out;
  }

  /** The rest of the packet. */
  byte[] rest() {
    byte[] out = new byte[remaining()];
    System.arraycopy(bytes, pos, out, 0, out.length);
    pos = end;
    return out;
  }

  /**
   * A UTF-8 Encoded String: two-byte length, then well-formed UTF-8 (RFC 3629) holding no surrogate
   * code point and no U+0000 ([MQTT-1.5.3-1] and [MQTT-1.5.3-2] in 3.1.1, [MQTT-1.5.4-1] and
   * [MQTT-1.5.4-2] in 5.0). Decoded here by hand, not by the JDK's charset.
   */
  String utf8(String what) {
    int length = u16(what + " length");
    need(length, what);
    int stop = pos + length;
    StringBuilder sb = new StringBuilder(length);
    int i = pos;
    while (i < stop) {
      int b0 = bytes[i] & 0xFF;
      int n;
      int cp;
      int lo = 0x80;
      int hi = 0xBF;
      if (b0 < 0x80) {
        n = 0;
        cp = b0;
      } else if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 1;
        cp = b0 & 0x1F;
      } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 2;
        cp = b0 & 0x0F;
        lo = b0 == 0xE0 ? 0xA0 : 0x80; // E0 80..9F would be overlong
        hi = b0 == 0xED ? 0x9F : 0xBF; // ED A0..BF would be a surrogate
      } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 3;
        cp = b0 & 0x07;
        lo = b0 == 0xF0 ? 0x90 : 0x80; // F0 80..8F would be overlong
        hi = b0 == 0xF4 ? 0x8F : 0xBF; // F4 90.. would pass U+10FFFF
      } else {
        throw badUtf8(what, i);
      }
      for (int k = 1; k <= n; k++) {
        if (i + k >= stop) {
          throw badUtf8(what, i);
        }
        int b = bytes[i + k] & 0xFF;
        if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) {
          throw badUtf8(what, i);
        }
        cp = (cp << 6) | (b & 0x3F);
      }
      if (cp == 0) {
        throw fail(
            what + " holds U+0000 " + (v5 ? "[MQTT-1.5.4-2]" : "[MQTT-1.5.3-2]") + " at " + i);
      }
      sb.appendCodePoint(cp);
      i += n + 1;
    }
    pos = stop;
    return sb.toString();
  }

  private WireFormatException badUtf8(String what, int at) {
    return fail(
        what
            + " is ill-formed UTF-8 "
            + (v5 ? "[MQTT-1.5.4-1]" : "[MQTT-1.5.3-1]")
            + " at byte 0x"
            + Integer.toHexString(bytes[at] & 0xFF));
  }

  private void need(int count, String what) {
    if (count > remaining()) {
      throw fail(what + " needs " + count + " bytes but " + remaining() + " remain in the packet");
    }
  }

  WireFormatException fail(String message) {
    return new WireFormatException(packet + ": " + message);
  }
}
