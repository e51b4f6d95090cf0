package io.starling.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.Unsubscribe;
import io.starling.codec.wire.PacketEncoder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the encoder refuses, and how it sizes its buffers. */
class PacketEncoderTest {

  @Test
  void refusesAStringOfMoreThan65535Bytes() {
    // 21,846 three-byte characters: 65,538 bytes of UTF-8 in 21,846 Java chars.
    String filter = "\u4e2d".repeat(21_846);
    Unsubscribe u = new Unsubscribe(1, List.of(filter), Properties.EMPTY);
    assertThatThrownBy(() -> PacketEncoder.encode(u, MqttVersion.V3_1_1, Wire.HEAP_FOR_TESTS))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void writesAStringOfExactly65535Bytes() {
    String filter = "\u4e2d".repeat(21_845);
    Unsubscribe u = new Unsubscribe(1, List.of(filter), Properties.EMPTY);
    assertThat(Wire.decodeFrame(Wire.encode(u, MqttVersion.V5), MqttVersion.V5, Wire.LARGE))
        .isEqualTo(u);
  }

  @Test
  void writesAuthOnlyIn5() {
    Auth auth = new Auth(ReasonCode.SUCCESS, Properties.EMPTY);
    assertThatThrownBy(() -> PacketEncoder.encode(auth, MqttVersion.V3_1_1, Wire.HEAP_FOR_TESTS))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void publishHeaderAndFullCopyAreSizedExactly() {
    ByteBuf payload = Unpooled.wrappedBuffer(new byte[1000]);
    Publish p =
        new Publish("\u00e9t\u00e9", QoS.AT_LEAST_ONCE, false, false, 7, Properties.EMPTY, payload);
    int size = PacketEncoder.publishSize(p, MqttVersion.V3_1_1);

    ByteBuf whole = PacketEncoder.encode(p, MqttVersion.V3_1_1, Wire.HEAP_FOR_TESTS);
    ByteBuf header =
        PacketEncoder.encodePublishHeader(p, MqttVersion.V3_1_1, Wire.HEAP_FOR_TESTS, 1000);
    try {
      assertThat(whole.readableBytes()).isEqualTo(size);
      assertThat(whole.capacity()).isEqualTo(size);
      assertThat(header.readableBytes()).isEqualTo(size - 1000);
      assertThat(header.capacity()).isEqualTo(size - 1000);
      assertThat(payload.readerIndex()).as("the payload is left as it was").isZero();
    } finally {
      whole.release();
      header.release();
    }
  }
}
