package io.starling.broker.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.starling.broker.metrics.BrokerStats;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class AckBatcherTest {
  private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
  private final BrokerStats stats = new BrokerStats();
  private final PacketWriter writer = new PacketWriter(channel.pipeline().firstContext(), stats);

  /** The store's durability barrier: each call waits here until the test says it is durable. */
  private final List<Runnable> durable = new ArrayList<>();

  private final AckBatcher stored = new AckBatcher(writer, channel, durable::add);

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  private static PubAck pubAck(int id) {
    return new PubAck(id, ReasonCode.SUCCESS, Properties.EMPTY);
  }

  private List<String> sent() {
    return Wire.sent(channel, MqttVersion.V3_1_1).stream().map(AckBatcherTest::describe).toList();
  }

  private static String describe(MqttPacket p) {
    if (p instanceof PubAck a) {
      return "PUBACK " + a.packetId();
    }
    if (p instanceof PubRec r) {
      return "PUBREC " + r.packetId();
    }
    if (p instanceof PubComp c) {
      return "PUBCOMP " + c.packetId();
    }
    return p.type().toString();
  }

  @Test
  void withoutAStoreAnAcknowledgementIsWrittenAtOnce() {
    AckBatcher direct = AckBatcher.of(writer, channel, null);
    direct.write(pubAck(7));
    assertThat(stats.messagesSent.sum()).isEqualTo(1);
    direct.flush(); // nothing held
    writer.flush();
    assertThat(sent()).containsExactly("PUBACK 7");
  }

  @Test
  void withAStoreAcknowledgementsWaitUntilTheirBatchIsDurableThenGoInOrder() {
    stored.write(pubAck(1));
    stored.write(new PubRec(2, ReasonCode.SUCCESS, Properties.EMPTY));
    stored.write(new PubComp(3, ReasonCode.SUCCESS, Properties.EMPTY));
    assertThat(stats.messagesSent.sum()).as("held until flush").isZero();

    stored.flush();
    assertThat(durable).as("one barrier per batch").hasSize(1);
    stored.flush();
    assertThat(durable).as("an empty batch asks the store nothing").hasSize(1);
    channel.runPendingTasks();
    assertThat(sent()).as("not durable yet").isEmpty();

    durable.get(0).run(); // the store calls back (on its own thread in the broker)
    assertThat(sent()).as("written on the event loop, not by the store's callback").isEmpty();
    channel.runPendingTasks();
    assertThat(sent()).containsExactly("PUBACK 1", "PUBREC 2", "PUBCOMP 3");
  }

  @Test
  void anAcknowledgementAfterTheFlushWaitsForTheNextBatch() {
    stored.write(pubAck(1));
    stored.write(pubAck(2));
    stored.flush();
    stored.write(pubAck(3)); // its PUBLISH's effects are not in the first batch's writes
    durable.get(0).run();
    channel.runPendingTasks();
    assertThat(sent()).containsExactly("PUBACK 1", "PUBACK 2");

    stored.flush();
    assertThat(durable).hasSize(2);
    durable.get(1).run();
    channel.runPendingTasks();
    assertThat(sent()).containsExactly("PUBACK 3");
  }

  @Test
  void nothingIsWrittenToAConnectionThatClosedMeanwhile() {
    stored.write(pubAck(1));
    stored.flush();
    channel.close();
    durable.get(0).run();
    channel.runPendingTasks();
    assertThat(stats.messagesSent.sum()).isZero();
    assertThat(channel.outboundMessages()).isEmpty();
  }
}
