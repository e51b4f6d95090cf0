package io.starling.broker.transport;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.starling.broker.store.internal.Persistence;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.packet.MqttPacket;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The acknowledgements of a client's PUBLISH and PUBREL (PUBACK, PUBREC, PUBCOMP). Without
 * persistence each goes out at once. With it, an acknowledgement may go out only once the effects
 * of its read batch (stored copies, retained updates, inbound QoS 2 state) are durable: {@link
 * #write} holds the batch's acknowledgements, {@link #flush} (once per read batch) hands them to
 * the store's {@link Persistence#afterWrites}, which calls back when those writes are done; they
 * are then written, in the order the client's packets came, on the connection's event loop.
 *
 * <p>One instance per connection; runs on the channel's event loop only.
 */
@EventLoopOnly
final class AckBatcher {
  private final PacketWriter writer;
  private final Channel channel;

  /** Calls its argument once what was stored so far is durable; null when persistence is off. */
  private final Consumer<Runnable> afterWrites;

  /** What this read batch acknowledges, waiting for {@link #flush}. */
  private List<MqttPacket> acks = List.of();

  /**
   * @param afterWrites the store's durability barrier ({@code persistence::afterWrites}), called
   *     from the event loop; its callback may run on any thread. Null when persistence is off.
   */
  AckBatcher(PacketWriter writer, Channel channel, Consumer<Runnable> afterWrites) {
    this.writer = writer;
    this.channel = channel;
    this.afterWrites = afterWrites;
  }

  /** One for a connection of a broker whose store is {@code persistence} (null for none). */
  static AckBatcher of(PacketWriter writer, Channel channel, Persistence persistence) {
    return new AckBatcher(writer, channel, persistence == null ? null : persistence::afterWrites);
  }

  /**
   * Writes an acknowledgement (without flushing) when there is no store; otherwise holds it until
   * {@link #flush}. Takes ownership of the packet.
   */
  void write(MqttPacket ack) {
    if (afterWrites == null) {
      writer.write(ack);
      return;
    }
    if (acks.isEmpty()) {
      acks = new ArrayList<>(8);
    }
    acks.add(ack);
  }

  /**
   * Hands the acknowledgements held so far to the store: they are written and flushed, on the event
   * loop, once the store's writes up to now are durable, unless the connection has closed by then.
   * Call once per read batch, after the batch's stored effects were queued.
   */
  void flush() {
    if (acks.isEmpty()) {
      return;
    }
    List<MqttPacket> ready = acks;
    acks = List.of();
    EventLoop loop = channel.eventLoop();
    afterWrites.accept(() -> loop.execute(() -> writeAll(ready)));
  }

  private void writeAll(List<MqttPacket> ready) {
    if (channel.isActive()) {
      ready.forEach(writer::write);
      writer.flush();
    }
  }
}
