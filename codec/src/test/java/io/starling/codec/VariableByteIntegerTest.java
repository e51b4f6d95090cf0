package io.starling.codec;

import static io.starling.codec.Bytes.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class VariableByteIntegerTest {

  /** MQTT 3.1.1 section 2.2.3, table 2.4; MQTT 5.0 section 1.5.5, table 1-1. */
  @ParameterizedTest(name = "{0} <-> {1}")
  @CsvSource({
    "0,         00",
    "1,         01",
    "127,       7F",
    "128,       80 01",
    "321,       C1 02",
    "16383,     FF 7F",
    "16384,     80 80 01",
    "2097151,   FF FF 7F",
    "2097152,   80 80 80 01",
    "268435455, FF FF FF 7F"
  })
  void specificationTable(int value, String bytes) {
    ByteBuf out = Unpooled.buffer();
    VariableByteInteger.write(out, value);
    assertThat(Bytes.toHex(ByteBufUtil.getBytes(out))).isEqualTo(bytes);
    assertThat(VariableByteInteger.size(value)).isEqualTo(out.readableBytes());
    assertThat(VariableByteInteger.read(out)).isEqualTo(value);
    assertThat(out.isReadable()).isFalse();
  }

  @Property(tries = 2000)
  void writeThenReadGivesTheValue(@ForAll @IntRange(min = 0, max = 268_435_455) int value) {
    ByteBuf out = Unpooled.buffer();
    VariableByteInteger.write(out, value);
    out.writeByte(0x55); // what follows must not be read
    assertThat(out.readableBytes() - 1).isEqualTo(VariableByteInteger.size(value));
    assertThat(VariableByteInteger.read(out)).isEqualTo(value);
    assertThat(out.readableBytes()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "80", "FF FF", "80 80 80"})
  void incompleteWhenTheBufferEnds(String bytes) {
    assertThat(VariableByteInteger.read(Unpooled.wrappedBuffer(hex(bytes))))
        .isEqualTo(VariableByteInteger.INCOMPLETE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"80 80 80 80", "FF FF FF FF 7F", "80 80 80 80 00"})
  void tooLongAfterFourBytes(String bytes) {
    assertThat(VariableByteInteger.read(Unpooled.wrappedBuffer(hex(bytes))))
        .isEqualTo(VariableByteInteger.TOO_LONG);
  }

  /** [MQTT-1.5.5-1]: the shortest encoding only. */
  @ParameterizedTest
  @ValueSource(strings = {"80 00", "FF 00", "80 80 00", "81 80 00", "80 80 80 00"})
  void notMinimalWhenALongerFormEndsInZero(String bytes) {
    assertThat(VariableByteInteger.read(Unpooled.wrappedBuffer(hex(bytes))))
        .isEqualTo(VariableByteInteger.NOT_MINIMAL);
  }

  @Test
  void everyNegativeResultHasWords() {
    for (int result :
        new int[] {
          VariableByteInteger.INCOMPLETE,
          VariableByteInteger.TOO_LONG,
          VariableByteInteger.NOT_MINIMAL
        }) {
      assertThat(VariableByteInteger.problem(result)).isNotBlank();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, Integer.MIN_VALUE, 268_435_456, Integer.MAX_VALUE})
  void writeRefusesValuesOutOfRange(int value) {
    ByteBuf out = Unpooled.buffer();
    assertThatThrownBy(() -> VariableByteInteger.write(out, value))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(out.writerIndex()).isZero();
  }
}
