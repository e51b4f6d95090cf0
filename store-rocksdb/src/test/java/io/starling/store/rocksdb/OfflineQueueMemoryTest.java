package io.starling.store.rocksdb;

import static io.starling.testkit.Packets.connect;
import static io.starling.testkit.Packets.subscribe;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.Unpooled;
import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.PersistenceConfig;
import io.starling.codec.QoS;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Messages for an offline session live on disk: queueing tens of megabytes of them does not grow
 * the broker's memory (heap plus Netty's direct buffers) by anything like their size, and they are
 * all delivered, in order, when the client returns.
 */
@Timeout(120)
class OfflineQueueMemoryTest {
  private static final int MESSAGES = 30_000;
  private static final int PAYLOAD = 2048;
  private static final int WINDOW = 500;

  @TempDir Path dir;

  @Test
  void offlineQueuesDoNotGrowMemoryWithTheirSize() throws Exception {
    BrokerConfig cfg =
        BrokerConfig.defaults()
            .withSys(new BrokerConfig.Sys(0))
            .withLimits(
                BrokerConfig.Limits.builder()
                    .maxConnections(1000)
                    .maxInflightMessages(32)
                    .maxQueuedMessages(100_000)
                    .build())
            .withPersistence(
                PersistenceConfig.DISABLED
                    .withDataDir(dir.resolve("data"))
                    .withDurability(PersistenceConfig.Durability.PERIODIC));
    try (Broker broker = TestBroker.start(cfg)) {
      try (RawClient sub = RawClient.connect(broker.port())) {
        sub.send(connect("offline", false));
        sub.read(ConnAck.class);
        sub.send(subscribe(1, "bulk/#", QoS.AT_LEAST_ONCE));
        sub.read(SubAck.class);
        sub.send(Disconnect.NORMAL);
      }
      long before = memoryInUse();
      try (RawClient pub = RawClient.connect(broker.port())) {
        pub.send(connect("bulk-publisher", true));
        pub.read(ConnAck.class);
        byte[] body = new byte[PAYLOAD];
        for (int sent = 0; sent < MESSAGES; sent += WINDOW) {
          for (int i = sent; i < sent + WINDOW; i++) {
            byte[] b = body.clone();
            b[0] = (byte) (i >>> 24);
            b[1] = (byte) (i >>> 16);
            b[2] = (byte) (i >>> 8);
            b[3] = (byte) i;
            pub.send(
                new Publish(
                    "bulk/x",
                    QoS.AT_LEAST_ONCE,
                    false,
                    false,
                    1 + i % 60000,
                    Properties.EMPTY,
                    Unpooled.wrappedBuffer(b)));
          }
          for (int i = 0; i < WINDOW; i++) {
            pub.read(PubAck.class);
          }
        }
      }
      long grown = memoryInUse() - before;
      long volume = (long) MESSAGES * PAYLOAD;
      assertThat(broker.stats().queuedMessages.get()).isEqualTo(MESSAGES);
      assertThat(grown)
          .as("memory grown by %d bytes for %d bytes of queued payload", grown, volume)
          .isLessThan(volume / 4);

      try (RawClient sub = RawClient.connect(broker.port())) {
        sub.send(connect("offline", false));
        assertThat(sub.read(ConnAck.class).sessionPresent()).isTrue();
        for (int i = 0; i < MESSAGES; i++) {
          Publish p = sub.read(Publish.class);
          assertThat(p.payload().getInt(0)).isEqualTo(i);
          sub.send(PubAck.of(p.packetId()));
          p.release();
        }
      }
    }
  }

  private static long memoryInUse() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long direct =
        ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider m
            ? m.metric().usedDirectMemory()
            : 0;
    return heap + direct;
  }
}
