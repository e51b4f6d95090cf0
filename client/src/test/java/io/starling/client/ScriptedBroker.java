package io.starling.client;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.starling.codec.CodecLimits;
import io.starling.codec.MqttVersion;
import io.starling.codec.netty.MqttDecoder;
import io.starling.codec.netty.MqttEncoder;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Publish;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A pretend MQTT 5.0 broker for tests of the client's wire behaviour: it records every packet the
 * client sends and writes only what the test tells it to. One connection at a time.
 */
final class ScriptedBroker implements AutoCloseable {
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel server;
  private final BlockingQueue<MqttPacket> received = new LinkedBlockingQueue<>();
  private volatile Channel client;

  ScriptedBroker() throws InterruptedException {
    server =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    client = ch;
                    ch.pipeline()
                        .addLast(MqttDecoder.forServer(CodecLimits.DEFAULTS))
                        .addLast(MqttEncoder.of(MqttVersion.V5))
                        .addLast(
                            new SimpleChannelInboundHandler<MqttPacket>(false) {
                              @Override
                              protected void channelRead0(ChannelHandlerContext ctx, MqttPacket p) {
                                if (p instanceof Publish pub) {
                                  // keep the packet, not the buffer it was read into
                                  received.add(pub.withPayload(pub.payload().copy()));
                                  ReferenceCountUtil.release(pub);
                                } else {
                                  received.add(p);
                                }
                              }
                            });
                  }
                })
            .bind("127.0.0.1", 0)
            .sync()
            .channel();
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** The next packet from the client, waiting at most 10 s. */
  @SuppressWarnings("unchecked")
  <T extends MqttPacket> T next(Class<T> type) throws InterruptedException {
    MqttPacket p = received.poll(10, TimeUnit.SECONDS);
    if (!type.isInstance(p)) {
      throw new AssertionError("expected a " + type.getSimpleName() + ", got " + p);
    }
    return (T) p;
  }

  /** Whether the client sends nothing within {@code millis}. */
  boolean quietFor(long millis) throws InterruptedException {
    MqttPacket p = received.poll(millis, TimeUnit.MILLISECONDS);
    if (p != null) {
      throw new AssertionError("expected nothing, got " + p);
    }
    return true;
  }

  void send(MqttPacket p) {
    client.writeAndFlush(p).syncUninterruptibly();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
