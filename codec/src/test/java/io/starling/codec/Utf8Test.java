package io.starling.codec;

import static io.starling.codec.Bytes.hex;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MQTT UTF-8 strings (3.1.1 section 1.5.3, 5.0 section 1.5.4): well-formed UTF-8 per RFC 3629, so
 * no overlong forms, no surrogates, nothing above U+10FFFF, and no U+0000.
 */
class Utf8Test {

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "61 2F 62|a/b",
        "7F|\u007F", // the last one-byte code point
        "C2 80|\u0080", // the first two-byte
        "C3 A9|\u00e9",
        "DF BF|\u07FF", // the last two-byte
        "E0 A0 80|\u0800", // the first three-byte
        "E4 B8 AD|\u4e2d",
        "ED 9F BF|\ud7ff", // just below the surrogates
        "EE 80 80|\ue000", // just above them
        "EF BB BF|\ufeff", // a byte order mark is a character like any other [MQTT-1.5.4-3]
        "EF BF BF|\uffff", // a non-character is allowed, though discouraged
        "F0 90 80 80|\ud800\udc00", // U+10000, the first four-byte
        "F0 9F 98 80|\ud83d\ude00",
        "F4 8F BF BF|\udbff\udfff" // U+10FFFF, the last code point
      })
  void decodesWellFormedUtf8(String bytes, String expected) {
    assertThat(Utf8.decode(Unpooled.wrappedBuffer(hex(bytes)), 0, hex(bytes).length))
        .isEqualTo(expected);
  }

  @Test
  void decodesTheEmptyString() {
    assertThat(Utf8.decode(Unpooled.EMPTY_BUFFER, 0, 0)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "00", // U+0000 [MQTT-1.5.4-2]
        "61 00", // U+0000 after a character
        "C0 80", // U+0000, overlong ("modified UTF-8")
        "C0 AF", // '/', overlong
        "C1 BF", // overlong two-byte
        "E0 80 AF", // '/', overlong three-byte
        "E0 9F BF", // U+07FF, overlong three-byte
        "F0 80 80 AF", // '/', overlong four-byte
        "F0 8F BF BF", // U+FFFF, overlong four-byte
        "80", // lone continuation byte
        "61 BF 62", // continuation byte between characters
        "C3", // truncated two-byte
        "E2 82", // truncated three-byte
        "F0 9F 98", // truncated four-byte
        "C3 28", // lead byte followed by a non-continuation
        "ED A0 80", // U+D800, a high surrogate [MQTT-1.5.4-1]
        "ED BF BF", // U+DFFF, a low surrogate
        "ED A0 BD ED B8 80", // a surrogate pair encoded as two three-byte forms (CESU-8)
        "F4 90 80 80", // U+110000, above the last code point
        "F5 80 80 80", // lead byte F5 never appears
        "F8 88 80 80 80", // five-byte form
        "FE",
        "FF"
      })
  void refusesIllFormedUtf8(String bytes) {
    byte[] b = hex(bytes);
    assertThat(Utf8.decode(Unpooled.wrappedBuffer(b), 0, b.length)).isNull();
  }

  @Test
  void decodesInPlaceWithoutMovingTheReaderIndex() {
    ByteBuf buf = Unpooled.wrappedBuffer(hex("FF 61 C3 A9 62 FF"));
    buf.readerIndex(1);
    assertThat(Utf8.decode(buf, 1, 4)).isEqualTo("a\u00e9b");
    assertThat(buf.readerIndex()).isEqualTo(1);
  }

  @Test
  void stopsAtTheGivenLengthEvenInsideACharacter() {
    ByteBuf buf = Unpooled.wrappedBuffer(hex("61 C3 A9"));
    assertThat(Utf8.decode(buf, 0, 2)).isNull();
    assertThat(Utf8.decode(buf, 0, 1)).isEqualTo("a");
  }

  @Test
  void decodesAcrossTheComponentsOfACompositeBuffer() {
    CompositeByteBuf buf = Unpooled.compositeBuffer();
    buf.addComponents(
        true, Unpooled.wrappedBuffer(hex("61 E4")), Unpooled.wrappedBuffer(hex("B8 AD 62")));
    assertThat(buf.nioBufferCount()).isGreaterThan(1);
    assertThat(Utf8.decode(buf, 0, 5)).isEqualTo("a\u4e2db");
    buf.release();
  }

  @Test
  void decodesFromADirectBuffer() {
    ByteBuf buf = Unpooled.directBuffer().writeBytes(hex("C3 A9 F0 9F 98 80"));
    try {
      assertThat(Utf8.decode(buf, 0, 6)).isEqualTo("\u00e9\ud83d\ude00");
    } finally {
      buf.release();
    }
  }

  @Property(tries = 500)
  void decodesWhatJavaEncodes(@ForAll("mqttStrings") String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    assertThat(Utf8.isEncodable(s)).isTrue();
    assertThat(Utf8.decode(Unpooled.wrappedBuffer(bytes), 0, bytes.length)).isEqualTo(s);
  }

  @Provide
  Arbitrary<String> mqttStrings() {
    return PacketArbitraries.strings(0, 40);
  }

  @Test
  void isEncodableRefusesU0000AndLoneSurrogates() {
    assertThat(Utf8.isEncodable("")).isTrue();
    assertThat(Utf8.isEncodable("a/b \u00e9 \ud83d\ude00")).isTrue();
    assertThat(Utf8.isEncodable("a\u0000b")).isFalse();
    assertThat(Utf8.isEncodable("\ud83d")).isFalse(); // high surrogate at the end
    assertThat(Utf8.isEncodable("\ud83da")).isFalse(); // high surrogate before a non-surrogate
    assertThat(Utf8.isEncodable("\ude00")).isFalse(); // low surrogate alone
    assertThat(Utf8.isEncodable("\ude00\ud83d")).isFalse(); // pair in the wrong order
  }
}
