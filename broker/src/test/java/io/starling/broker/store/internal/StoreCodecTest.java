package io.starling.broker.store.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.broker.model.SubOptions;
import io.starling.broker.store.internal.StoreCodec.StoredMessage;
import io.starling.codec.QoS;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class StoreCodecTest {
  @Test
  void aMessageSurvivesEncodingWithItsPropertiesAndIds() {
    Properties props =
        Properties.builder()
            .add(PropertyId.CONTENT_TYPE, "text/plain")
            .add(PropertyId.PAYLOAD_FORMAT_INDICATOR, 1)
            .add(PropertyId.CORRELATION_DATA, BinaryData.of(new byte[] {1, 2, 3}))
            .userProperty("k", "v")
            .build();
    StoredMessage m =
        new StoredMessage(
            "a/b",
            QoS.EXACTLY_ONCE,
            true,
            1_700_000_000_000L,
            new int[] {7, 9},
            props,
            "hello".getBytes(StandardCharsets.UTF_8));
    StoredMessage back = StoreCodec.message(StoreCodec.message(m));
    assertThat(back.topic()).isEqualTo("a/b");
    assertThat(back.qos()).isEqualTo(QoS.EXACTLY_ONCE);
    assertThat(back.retain()).isTrue();
    assertThat(back.expiresAtMillis()).isEqualTo(1_700_000_000_000L);
    assertThat(back.subscriptionIds()).containsExactly(7, 9);
    assertThat(back.properties()).isEqualTo(props);
    assertThat(back.payload()).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void sequenceKeysSortBySessionThenNumber() {
    byte[] a = StoreCodec.sessionKey("a");
    byte[][] keys = {
      StoreCodec.seqKey(a, 1L << 40), StoreCodec.seqKey(a, 256), StoreCodec.seqKey(a, 1)
    };
    Arrays.sort(keys, Arrays::compareUnsigned);
    assertThat(StoreCodec.seqOf(keys[0])).isEqualTo(1);
    assertThat(StoreCodec.seqOf(keys[1])).isEqualTo(256);
    assertThat(StoreCodec.seqOf(keys[2])).isEqualTo(1L << 40);
    // "a" and "ab" do not share a prefix: the length comes first.
    byte[] ab = StoreCodec.sessionKey("ab");
    assertThat(startsWith(StoreCodec.seqKey(ab, 1), a)).isFalse();
    assertThat(StoreCodec.clientIdOf(StoreCodec.seqKey(ab, 5))).isEqualTo("ab");
  }

  @Test
  void subscriptionsSessionsAndInflightRecordsRoundTrip() {
    SubOptions o = SubOptions.of(QoS.AT_LEAST_ONCE, true, true, 12);
    assertThat(StoreCodec.subscription(StoreCodec.subscription(o))).isEqualTo(o);
    assertThat(StoreCodec.session(StoreCodec.session(3600, 42)))
        .isEqualTo(new StoreCodec.StoredSession(3600, 42));
    assertThat(StoreCodec.inflight(StoreCodec.inflight(65535, true)))
        .isEqualTo(new StoreCodec.StoredInflight(65535, true));
  }

  @Test
  void damagedValuesAreRefusedWithoutAllocatingWhatTheyDeclare() {
    byte[] good =
        StoreCodec.message(
            new StoredMessage(
                "t", QoS.AT_LEAST_ONCE, false, 0, null, Properties.EMPTY, new byte[10]));
    byte[] truncated = Arrays.copyOf(good, good.length - 3);
    assertThatThrownBy(() -> StoreCodec.message(truncated))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] huge = good.clone();
    huge[huge.length - 14] = 0x7F; // the payload length's high byte
    assertThatThrownBy(() -> StoreCodec.message(huge)).isInstanceOf(IllegalArgumentException.class);
    byte[] otherVersion = good.clone();
    otherVersion[0] = 9;
    assertThatThrownBy(() -> StoreCodec.message(otherVersion))
        .hasMessageContaining("format version");
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }
}
