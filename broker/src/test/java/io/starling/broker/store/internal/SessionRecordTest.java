package io.starling.broker.store.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.broker.store.internal.StoreCodec.StoredOwner;
import io.starling.broker.store.internal.StoreCodec.StoredSession;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Session records carry their owner; records of the older format, without one, still read. */
class SessionRecordTest {
  @Test
  void theOwnerSurvivesEncoding() {
    StoredOwner alice = new StoredOwner("alice", null, null);
    assertThat(StoreCodec.session(StoreCodec.session(3600, 42, alice)))
        .isEqualTo(new StoredSession(3600, 42, alice));
    StoredOwner anonymous = new StoredOwner(null, null, null);
    assertThat(StoreCodec.session(StoreCodec.session(-1, 0, anonymous)).owner())
        .isEqualTo(anonymous);
    StoredOwner token = new StoredOwner("svc", List.of("out/#"), List.of("in/+", "cmd/#"));
    assertThat(StoreCodec.session(StoreCodec.session(60, 7, token)).owner()).isEqualTo(token);
    StoredOwner noGrants = new StoredOwner("svc", List.of(), List.of());
    assertThat(StoreCodec.session(StoreCodec.session(60, 7, noGrants)).owner()).isEqualTo(noGrants);
  }

  @Test
  void aRecordOfTheOlderFormatHasNoOwner() {
    StoredSession old = StoreCodec.session(StoreCodec.session(3600, 42));
    assertThat(old.expirySeconds()).isEqualTo(3600);
    assertThat(old.disconnectedAtMillis()).isEqualTo(42);
    assertThat(old.owner()).isNull();
  }

  @Test
  void aDamagedRecordIsRefusedWithoutAllocatingWhatItClaims() {
    byte[] good = StoreCodec.session(1, 2, new StoredOwner("alice", List.of("a"), List.of("b")));
    for (int cut = 1; cut < good.length; cut++) {
      byte[] truncated = Arrays.copyOf(good, cut);
      assertThatThrownBy(() -> StoreCodec.session(truncated)).isInstanceOf(RuntimeException.class);
    }
    byte[] trailing = Arrays.copyOf(good, good.length + 1);
    assertThatThrownBy(() -> StoreCodec.session(trailing))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] flags = good.clone();
    flags[17] = 8;
    assertThatThrownBy(() -> StoreCodec.session(flags))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
