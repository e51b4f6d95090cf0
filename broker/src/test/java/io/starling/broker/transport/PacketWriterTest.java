package io.starling.broker.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.starling.broker.metrics.BrokerStats;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.Publish;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class PacketWriterTest {
  private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
  private final BrokerStats stats = new BrokerStats();
  private final PacketWriter writer = new PacketWriter(channel.pipeline().firstContext(), stats);

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  private static Publish publish(String topic, ByteBuf payload) {
    return new Publish(topic, QoS.AT_MOST_ONCE, false, false, 0, Properties.EMPTY, payload);
  }

  private static Publish publish(String topic) {
    return publish(topic, Unpooled.copiedBuffer("m", StandardCharsets.UTF_8));
  }

  @Test
  void outboundTopicsGetAliasesUpToTheClientsMaximum() {
    writer.useVersion(MqttVersion.V5);
    writer.useAliases(new TopicAliases(10, 1)); // the client takes one alias from us
    writer.write(publish("a/b"));
    writer.write(publish("a/b"));
    writer.write(publish("c"));
    writer.flush();

    List<MqttPacket> sent = Wire.sent(channel, MqttVersion.V5);
    assertThat(sent).hasSize(3).allMatch(p -> p instanceof Publish);
    Publish first = (Publish) sent.get(0);
    Publish second = (Publish) sent.get(1);
    Publish third = (Publish) sent.get(2);
    assertThat(first.topic()).isEqualTo("a/b");
    assertThat(first.properties().intValue(PropertyId.TOPIC_ALIAS)).hasValue(1);
    assertThat(second.topic()).as("the alias stands for the topic").isEmpty();
    assertThat(second.properties().intValue(PropertyId.TOPIC_ALIAS)).hasValue(1);
    assertThat(third.topic()).isEqualTo("c");
    assertThat(third.properties().contains(PropertyId.TOPIC_ALIAS)).isFalse();
    sent.forEach(ReferenceCountUtil::release);
  }

  @Test
  void aClientThatAllowsNoAliasesGetsTopicsAsTheyAre() {
    writer.useVersion(MqttVersion.V5);
    writer.useAliases(new TopicAliases(10, 0));
    writer.write(publish("a/b"));
    writer.write(publish("a/b"));
    writer.flush();

    List<MqttPacket> sent = Wire.sent(channel, MqttVersion.V5);
    assertThat(sent)
        .extracting(p -> ((Publish) p).topic(), p -> ((Publish) p).properties().isEmpty())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("a/b", true),
            org.assertj.core.groups.Tuple.tuple("a/b", true));
    sent.forEach(ReferenceCountUtil::release);
  }

  @Test
  void everyPacketIsCountedWithItsBytesAndReleased() {
    ByteBuf payload = Unpooled.copiedBuffer("hello", StandardCharsets.UTF_8);
    writer.write(publish("t", payload));
    writer.write(PingResp.INSTANCE);
    assertThat(payload.refCnt()).as("the writer took ownership").isZero();
    assertThat(stats.messagesSent.sum()).isEqualTo(2);
    assertThat(channel.outboundMessages()).as("written, not flushed").isEmpty();

    writer.flush();
    long bytes = 0;
    for (Object o : channel.outboundMessages()) {
      bytes += ((ByteBuf) o).readableBytes();
    }
    // PUBLISH: fixed header 2, topic length 2 + "t" 1, payload 5; PINGRESP: 2.
    assertThat(bytes).isEqualTo(12);
    assertThat(stats.bytesSent.sum()).isEqualTo(bytes);
    List<MqttPacket> sent = Wire.sent(channel, MqttVersion.V3_1_1);
    assertThat(sent).hasSize(2);
    assertThat(sent.get(1)).isInstanceOf(PingResp.class);
    sent.forEach(ReferenceCountUtil::release);
  }

  @Test
  void repliesShareBuffersThatAreHandedOverAsTheyFillAndKeepTheirOrder() {
    for (int i = 1; i <= 4096; i++) {
      writer.write(PubAck.of(i)); // 4 bytes each, 16 KiB in all
    }
    long handedOver = channel.unsafe().outboundBuffer().totalPendingWriteBytes();
    assertThat(handedOver)
        .as("full buffers of small packets go to the channel (and count) before the flush")
        .isGreaterThanOrEqualTo(3 * PacketWriter.SMALL_PACKETS_MAX_BYTES);
    writer.write(publish("t"));
    writer.write(PingResp.INSTANCE);
    writer.flush();
    assertThat(channel.outboundMessages())
        .as("4 of PUBACKs, the PUBLISH, 1 of PINGRESP")
        .hasSize(6);
    List<MqttPacket> sent = Wire.sent(channel, MqttVersion.V3_1_1);
    assertThat(sent).hasSize(4098);
    for (int i = 0; i < 4096; i++) {
      assertThat(((PubAck) sent.get(i)).packetId()).isEqualTo(i + 1);
    }
    assertThat(sent.get(4096)).isInstanceOf(Publish.class);
    assertThat(sent.get(4097)).isInstanceOf(PingResp.class);
    sent.forEach(ReferenceCountUtil::release);
    assertThat(stats.bytesSent.sum())
        .isEqualTo(4096 * 4 + 6 + 2); // PUBLISH: header 2, topic 2 + 1, payload 1
  }

  @Test
  void smallPacketsNotYetHandedOverAreReleasedWhenTheConnectionEnds() {
    RecordingAllocator alloc = new RecordingAllocator();
    channel.config().setAllocator(alloc);
    writer.write(PingResp.INSTANCE);
    assertThat(channel.outboundMessages()).isEmpty();
    assertThat(alloc.made).anyMatch(b -> b.refCnt() > 0);
    writer.discard();
    writer.discard(); // twice is harmless
    assertThat(alloc.made).allMatch(b -> b.refCnt() == 0);
  }

  /** Heap buffers, each remembered, to check that none is left unreleased. */
  private static final class RecordingAllocator extends AbstractByteBufAllocator {
    final List<ByteBuf> made = new ArrayList<>();

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
      ByteBuf b = Unpooled.buffer(initialCapacity, maxCapacity);
      made.add(b);
      return b;
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
      return newHeapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
      return false;
    }
  }
}
