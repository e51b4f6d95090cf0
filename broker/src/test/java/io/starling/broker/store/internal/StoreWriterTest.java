package io.starling.broker.store.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.starling.broker.store.StorageBackend;
import io.starling.broker.store.StoreKind;
import io.starling.broker.store.StoreOp;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class StoreWriterTest {
  /** An in-memory backend that counts writes and syncs and can hold a write back. */
  private static final class Recording implements StorageBackend {
    final InMemoryBackend data = new InMemoryBackend();
    final List<Boolean> writes = new CopyOnWriteArrayList<>();
    final AtomicInteger syncs = new AtomicInteger();
    volatile CountDownLatch gate;
    volatile boolean fail;

    @Override
    public String location() {
      return "test";
    }

    @Override
    public void write(List<StoreOp> ops, boolean sync) throws IOException {
      CountDownLatch g = gate;
      if (g != null) {
        try {
          g.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (fail) {
        throw new IOException("disk full");
      }
      data.write(ops, sync);
      writes.add(sync);
    }

    @Override
    public void sync() {
      syncs.incrementAndGet();
    }

    @Override
    public void scan(StoreKind kind, byte[] prefix, Visitor visitor) {
      data.scan(kind, prefix, visitor);
    }

    @Override
    public void close() {}
  }

  private final Recording backend = new Recording();
  private StoreWriter writer;

  @AfterEach
  void stop() {
    backend.gate = null;
    if (writer != null) {
      writer.stop();
    }
  }

  private static StoreOp op(int i) {
    return StoreOp.put(StoreKind.RETAINED, new byte[] {(byte) i}, new byte[] {1});
  }

  @Test
  void aCallbackRunsAfterTheChangesBeforeItAreWrittenAndInOrder() {
    writer = new StoreWriter(backend, true, 100);
    writer.start();
    List<Integer> seen = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 50; i++) {
      int n = i;
      writer.submit(op(i));
      writer.afterWrites(
          () -> {
            // Everything submitted before this callback is in the store.
            seen.add(backend.data.size(StoreKind.RETAINED) > n ? n : -1);
          });
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 50);
    assertThat(seen).doesNotContain(-1).isSorted();
    assertThat(backend.writes).allMatch(sync -> sync);
  }

  @Test
  void concurrentChangesShareOneSyncedWrite() throws Exception {
    writer = new StoreWriter(backend, true, 100);
    writer.start();
    backend.gate = new CountDownLatch(1);
    writer.submit(op(0)); // the storage thread is now held in this write
    await().atMost(Duration.ofSeconds(5)).until(() -> writer.isIdleForTest());
    CountDownLatch acked = new CountDownLatch(100);
    for (int i = 1; i <= 100; i++) {
      writer.submit(op(i));
      writer.afterWrites(acked::countDown);
    }
    backend.gate.countDown();
    assertThat(acked.await(5, TimeUnit.SECONDS)).isTrue();
    // One write for the first change, one for the hundred that waited behind it.
    assertThat(backend.writes).hasSize(2);
  }

  @Test
  void periodicDurabilityWritesWithoutSyncAndSyncsOnATimer() {
    writer = new StoreWriter(backend, false, 20);
    writer.start();
    AtomicInteger done = new AtomicInteger();
    writer.submit(op(1));
    writer.afterWrites(done::incrementAndGet);
    await().atMost(Duration.ofSeconds(5)).until(() -> done.get() == 1);
    assertThat(backend.writes).containsExactly(false);
    await().atMost(Duration.ofSeconds(5)).until(() -> backend.syncs.get() >= 1);
  }

  @Test
  void afterAFailedWriteNothingIsAcknowledged() throws Exception {
    writer = new StoreWriter(backend, true, 100);
    writer.start();
    backend.fail = true;
    AtomicInteger acked = new AtomicInteger();
    writer.submit(op(1));
    writer.afterWrites(acked::incrementAndGet);
    await().atMost(Duration.ofSeconds(5)).until(writer::isFailed);
    writer.submit(op(2));
    CountDownLatch read = new CountDownLatch(1);
    writer.read(b -> read.countDown());
    assertThat(read.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(acked.get()).isZero();
  }

  @Test
  void aQueueOverHalfFullIsCongestedUntilItIsDownToAQuarter() throws Exception {
    writer = new StoreWriter(backend, true, 100);
    writer.start();
    backend.gate = new CountDownLatch(1);
    writer.submit(op(0)); // the storage thread is now held in this write
    await().atMost(Duration.ofSeconds(5)).until(() -> writer.isIdleForTest());
    for (int i = 0; i < StoreWriter.CAPACITY / 2; i++) {
      writer.submit(op(i));
    }
    assertThat(writer.isCongested()).as("at half, not over it").isFalse();
    writer.submit(op(1));
    assertThat(writer.isCongested()).isTrue();
    CountDownLatch resumed = new CountDownLatch(1);
    writer.whenDrained(resumed::countDown);
    assertThat(resumed.getCount()).as("publishers wait while it is congested").isEqualTo(1);
    backend.gate.countDown();
    assertThat(resumed.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(writer.isCongested()).isFalse();
    assertThat(writer.isFailed()).isFalse();
  }

  @Test
  void aFullQueueFailsTheStoreRatherThanDropAChangeSilently() throws Exception {
    writer = new StoreWriter(backend, true, 100);
    writer.start();
    backend.gate = new CountDownLatch(1);
    writer.submit(op(0));
    await().atMost(Duration.ofSeconds(5)).until(() -> writer.isIdleForTest());
    for (int i = 0; i < StoreWriter.CAPACITY; i++) {
      writer.submit(op(i));
    }
    assertThat(writer.isFailed()).isFalse();
    AtomicInteger acked = new AtomicInteger();
    writer.afterWrites(acked::incrementAndGet); // no room: refused
    assertThat(writer.isFailed()).as("nothing can be promised any more").isTrue();
    backend.gate.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> writer.isIdleForTest());
    CountDownLatch read = new CountDownLatch(1);
    writer.read(b -> read.countDown());
    assertThat(read.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(acked).as("nothing is acknowledged after the overflow").hasValue(0);
  }
}
