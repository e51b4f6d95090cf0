package io.starling.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One load-generating MQTT connection: a minimal client on Netty and Starling's codec, doing only
 * what the load tool needs (CONNECT, SUBSCRIBE, publishing within an in-flight window, and
 * acknowledging what it receives). All methods run on the channel's event loop.
 */
final class LoadConnection extends ChannelInboundHandlerAdapter {
  final CompletableFuture<ConnAck> connected = new CompletableFuture<>();
  final CompletableFuture<SubAck> subscribed = new CompletableFuture<>();
  final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final MqttVersion version;
  private final Consumer<Publish> onMessage;
  private Channel channel;
  private Runnable onWindowOpen = () -> {};

  /** Outbound QoS 1/2 messages not yet completed. */
  private int inflight;

  private int nextPacketId = 1;

  LoadConnection(MqttVersion version, Consumer<Publish> onMessage) {
    this.version = version;
    this.onMessage = onMessage;
  }

  Channel channel() {
    return channel;
  }

  MqttVersion version() {
    return version;
  }

  int inflight() {
    return inflight;
  }

  /** Called (on the event loop) whenever an acknowledgement frees a slot or the socket drains. */
  void onWindowOpen(Runnable r) {
    this.onWindowOpen = r;
  }

  /** Writes a PUBLISH (payload ownership passes to the write); QoS 1/2 take a window slot. */
  void publish(String topic, QoS qos, ByteBuf payload) {
    int id = 0;
    if (qos != QoS.AT_MOST_ONCE) {
      id = nextPacketId;
      nextPacketId = id == 0xFFFF ? 1 : id + 1;
      inflight++;
    }
    channel.write(
        new Publish(topic, qos, false, false, id, Properties.EMPTY, payload),
        channel.voidPromise());
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    connected.completeExceptionally(new IllegalStateException("connection closed"));
    subscribed.completeExceptionally(new IllegalStateException("connection closed"));
    closed.complete(null);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    connected.completeExceptionally(cause);
    ctx.close();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      onWindowOpen.run();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ctx.flush();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    MqttPacket p = (MqttPacket) msg;
    try {
      switch (p.type()) {
        case PUBLISH -> {
          Publish pub = (Publish) p;
          onMessage.accept(pub);
          if (pub.qos() == QoS.AT_LEAST_ONCE) {
            ctx.write(PubAck.of(pub.packetId()), ctx.voidPromise());
          } else if (pub.qos() == QoS.EXACTLY_ONCE) {
            ctx.write(PubRec.of(pub.packetId()), ctx.voidPromise());
          }
        }
        case PUBREL -> ctx.write(PubComp.of(((PubRel) p).packetId()), ctx.voidPromise());
        case PUBACK, PUBCOMP -> {
          inflight--;
          onWindowOpen.run();
        }
        case PUBREC -> ctx.write(PubRel.of(((PubRec) p).packetId()), ctx.voidPromise());
        case CONNACK -> {
          ConnAck ack = (ConnAck) p;
          if (ack.reasonCode() == ReasonCode.SUCCESS) {
            connected.complete(ack);
          } else {
            connected.completeExceptionally(
                new IllegalStateException("CONNACK " + ack.reasonCode().description()));
          }
        }
        case SUBACK -> subscribed.complete((SubAck) p);
        default -> {
          if (!(p instanceof PingResp)) {
            ctx.close();
          }
        }
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }
}
