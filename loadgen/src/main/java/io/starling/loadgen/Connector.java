package io.starling.loadgen;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.starling.codec.MqttVersion;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.loadgen.LoadOptions.Scenario;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Opens the load tool's MQTT connections to the broker of one run, on two event-loop groups of its
 * own. Thread-safe: the scenarios call it from the main thread, the connections then live on their
 * event loops.
 */
final class Connector implements AutoCloseable {
  /** How long a connection, a CONNACK or a SUBACK may take. */
  static final int TIMEOUT_SECONDS = 30;

  /** The event-loop group a connection goes to. */
  enum Side {
    PUBLISHERS,
    SUBSCRIBERS
  }

  private final LoadOptions o;
  private final boolean epoll = Epoll.isAvailable();

  /** Publishers and subscribers on separate threads, so that flooding never starves reading. */
  private final EventLoopGroup publisherGroup;

  private final EventLoopGroup subscriberGroup;
  private final AtomicInteger clientIds = new AtomicInteger();
  private final String runId = Long.toString(System.nanoTime() % 1_000_000, 36);

  Connector(LoadOptions options) {
    this.o = options;
    var factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.publisherGroup = new MultiThreadIoEventLoopGroup(options.threads(), factory);
    this.subscriberGroup = new MultiThreadIoEventLoopGroup(options.threads(), factory);
  }

  /** Whether connections use Linux's epoll transport (else NIO). */
  boolean isEpoll() {
    return epoll;
  }

  /** Short and unique to this run: in every client id, and in the topics of traffic scenarios. */
  String runId() {
    return runId;
  }

  /**
   * Connects and waits for a successful CONNACK.
   *
   * @param onMessage gets the payload of each PUBLISH received, on the connection's event loop
   */
  LoadConnection open(Consumer<ByteBuf> onMessage, Side side) throws Exception {
    LoadConnection c = openAsync(onMessage, null, side);
    c.connected.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    return c;
  }

  /**
   * Starts connecting the socket, and sends CONNECT once it is connected; {@link
   * LoadConnection#connected} completes with the CONNACK, or exceptionally if the socket cannot
   * connect. Does not wait, so that the rate of opening connections is the broker's, not one round
   * trip after another of this thread's.
   *
   * @param source the local address to connect from, or null for any
   */
  LoadConnection openAsync(Consumer<ByteBuf> onMessage, String source, Side side) {
    LoadConnection c = new LoadConnection(o.version(), onMessage);
    InetSocketAddress remote = new InetSocketAddress(o.host(), o.port());
    Bootstrap b = bootstrap(c, side == Side.PUBLISHERS ? publisherGroup : subscriberGroup);
    ChannelFuture f =
        source == null ? b.connect(remote) : b.connect(remote, new InetSocketAddress(source, 0));
    c.attach(f.channel());
    Connect connect = connect();
    f.addListener(
        done -> {
          if (done.isSuccess()) {
            c.send(connect);
          } else {
            c.connected.completeExceptionally(done.cause());
          }
        });
    return c;
  }

  private Bootstrap bootstrap(LoadConnection c, EventLoopGroup group) {
    Bootstrap b = new Bootstrap();
    if (epoll) {
      // A connection from a given source address picks its port at connect time, by the whole
      // address pair: otherwise each takes a port of its own at bind time, and back-to-back runs of
      // 20,000 connections (whose closed sockets wait a minute in TIME_WAIT) make every bind scan
      // a nearly full port range, which slows opening connections to a few hundred a second.
      b.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
    }
    return b.group(group)
        .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, TIMEOUT_SECONDS * 1000)
        .option(
            ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 << 10, 256 << 10))
        .handler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(c);
              }
            });
  }

  private Connect connect() {
    String clientId = "bench-" + runId + "-" + clientIds.incrementAndGet();
    // Idle connections keep the keep-alive asked for (IdleConnections sends their PINGREQs).
    int keepAlive = o.scenario() == Scenario.CONNS ? o.keepAliveSeconds() : 60;
    // Durable scenarios: persistent sessions (a 5.0 session lasting the run and a minute), so that
    // a broker with persistence stores every QoS 1/2 message for its subscribers.
    boolean clean = !o.persistent() || o.scenario() == Scenario.CONNS;
    Properties props =
        !clean && o.version() == MqttVersion.V5
            ? Properties.builder().add(PropertyId.SESSION_EXPIRY_INTERVAL, 60L).build()
            : Properties.EMPTY;
    return new Connect(o.version(), clientId, clean, keepAlive, null, null, null, props);
  }

  @Override
  public void close() {
    publisherGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    subscriberGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
