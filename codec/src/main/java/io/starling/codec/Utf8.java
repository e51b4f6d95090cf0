package io.starling.codec;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 Encoded Strings as MQTT defines them (3.1.1 section 1.5.3, 5.0 section 1.5.4): well-formed
 * UTF-8 as RFC 3629 defines it, so no surrogate code points and no overlong forms [MQTT-1.5.3-1],
 * and no U+0000 [MQTT-1.5.3-2].
 */
public final class Utf8 {
  private static final ThreadLocal<CharsetDecoder> DECODER =
      ThreadLocal.withInitial(
          () ->
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT));

  private Utf8() {}

  /**
   * Decodes {@code length} bytes at {@code index} without moving the reader index, or returns
   * {@code null} when they are not an MQTT UTF-8 string.
   */
  public static String decode(ByteBuf in, int index, int length) {
    boolean ascii = true;
    for (int i = index, end = index + length; i < end; i++) {
      byte b = in.getByte(i);
      if (b == 0) {
        return null; // U+0000; a well-formed encoding has no other 0x00 byte
      }
      if (b < 0) {
        ascii = false;
      }
    }
    if (ascii) {
      return in.toString(index, length, StandardCharsets.ISO_8859_1);
    }
    ByteBuffer bytes =
        in.nioBufferCount() == 1 ? in.nioBuffer(index, length) : copy(in, index, length);
    try {
      CharBuffer chars = DECODER.get().reset().decode(bytes);
      return chars.toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static ByteBuffer copy(ByteBuf in, int index, int length) {
    byte[] bytes = new byte[length];
    in.getBytes(index, bytes);
    return ByteBuffer.wrap(bytes);
  }

  /** Whether {@code s} can be written as an MQTT UTF-8 string: no U+0000, no lone surrogate. */
  public static boolean isEncodable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
