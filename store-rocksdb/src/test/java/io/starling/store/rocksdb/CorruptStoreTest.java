package io.starling.store.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.BrokerStartException;
import io.starling.broker.config.PersistenceConfig;
import io.starling.broker.store.StoreKind;
import io.starling.broker.store.StoreOp;
import io.starling.broker.store.internal.StoreCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data that cannot be read stops the broker with an error naming where it is, unless the start is
 * forced; then nothing is silently lost: unreadable records stay on disk, an unreadable store is
 * moved aside. Sessions whose expiry passed while the broker was down are gone after the restart.
 */
@Timeout(60)
class CorruptStoreTest {
  @TempDir Path dir;

  private BrokerConfig config(boolean force) {
    return BrokerConfig.defaults()
        .withListener("127.0.0.1", 0)
        .withSys(new BrokerConfig.Sys(0))
        .withPersistence(
            PersistenceConfig.DISABLED.withDataDir(dir.resolve("data")).withForceStart(force));
  }

  private void put(StoreKind kind, byte[] key, byte[] value) throws Exception {
    try (RocksDbBackend b = RocksDbBackend.open(dir.resolve("data"))) {
      b.write(List.of(StoreOp.put(kind, key, value)), true);
    }
  }

  @Test
  void anUnreadableRecordStopsTheStartUnlessForced() throws Exception {
    Files.createDirectories(dir.resolve("data"));
    byte[] session = StoreCodec.sessionKey("victim");
    put(StoreKind.SESSIONS, session, StoreCodec.session(0xFFFF_FFFFL, 0));
    put(StoreKind.QUEUE, StoreCodec.seqKey(session, 7), "garbage".getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> Broker.start(config(false)))
        .isInstanceOf(BrokerStartException.class)
        .hasMessageContaining(dir.resolve("data").toString())
        .hasMessageContaining("queue")
        .hasMessageContaining("--force-start");

    try (Broker b = Broker.start(config(true))) {
      assertThat(b.sessions().get("victim")).isNotNull();
    }
    // Skipped, not discarded: the record is still there for an operator to look at.
    try (RocksDbBackend b = RocksDbBackend.open(dir.resolve("data"))) {
      int[] n = new int[1];
      b.scan(StoreKind.QUEUE, session, (k, v) -> ++n[0] > 0);
      assertThat(n[0]).isEqualTo(1);
    }
  }

  @Test
  void anUnreadableStoreStopsTheStartOrIsMovedAsideWhenForced() throws Exception {
    try (Broker b = Broker.start(config(false))) {
      assertThat(b.port()).isPositive();
    }
    Path data = dir.resolve("data");
    try (Stream<Path> files = Files.list(data)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("MANIFEST")).toList()) {
        Files.write(f, "this is not a manifest".getBytes(StandardCharsets.UTF_8));
      }
    }
    assertThatThrownBy(() -> Broker.start(config(false)))
        .isInstanceOf(BrokerStartException.class)
        .hasMessageContaining(data.toString());

    try (Broker b = Broker.start(config(true))) {
      assertThat(b.port()).isPositive();
    }
    try (Stream<Path> siblings = Files.list(dir)) {
      assertThat(siblings.map(p -> p.getFileName().toString()))
          .anyMatch(n -> n.startsWith("data.unreadable-"));
    }
  }

  @Test
  void expiryKeepsCountingWhileTheBrokerIsDown() throws Exception {
    Files.createDirectories(dir.resolve("data"));
    long now = System.currentTimeMillis();
    // Offline for two minutes with a one-minute expiry: it ended while the broker was down.
    put(
        StoreKind.SESSIONS,
        StoreCodec.sessionKey("expired"),
        StoreCodec.session(60, now - 120_000));
    put(
        StoreKind.SUBSCRIPTIONS,
        StoreCodec.stringKey(StoreCodec.sessionKey("expired"), "a/#"),
        StoreCodec.subscription(
            io.starling.broker.model.SubOptions.of(io.starling.codec.QoS.AT_LEAST_ONCE)));
    // Offline for ten seconds with an hour's expiry: still there.
    put(StoreKind.SESSIONS, StoreCodec.sessionKey("alive"), StoreCodec.session(3600, now - 10_000));

    try (Broker b = Broker.start(config(false))) {
      assertThat(b.sessions().get("expired")).isNull();
      assertThat(b.sessions().get("alive")).isNotNull();
      assertThat(b.sessions().get("alive").hasState()).isTrue();
    }
    try (RocksDbBackend b = RocksDbBackend.open(dir.resolve("data"))) {
      int[] n = new int[1];
      b.scan(StoreKind.SUBSCRIPTIONS, new byte[0], (k, v) -> ++n[0] > 0);
      assertThat(n[0]).as("the expired session's subscription is deleted").isZero();
    }
  }
}
