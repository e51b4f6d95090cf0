package io.starling.broker;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.routing.Router;
import io.starling.broker.routing.Subscriptions;
import io.starling.broker.security.Security;
import io.starling.broker.session.Session;
import io.starling.broker.session.SessionConnection;
import io.starling.broker.session.SessionRegistry;
import io.starling.broker.sys.BrokerStats;
import io.starling.broker.sys.SysPublisher;
import io.starling.broker.transport.MqttConnection;
import io.starling.broker.transport.MqttPipeline;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running MQTT broker: one TCP listener, its event loops, sessions, routing and {@code $SYS}.
 * Start it with {@link #start}, stop it with {@link #close}. Thread-safe.
 */
public final class Broker implements BrokerContext, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Broker.class);

  private final BrokerConfig config;
  private final BrokerStats stats = new BrokerStats();
  private final Router router = new Router();
  private final Subscriptions subscriptions;
  private final SessionRegistry sessions;
  private final Security security;
  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final String transportName;
  private volatile boolean shuttingDown;
  private Channel serverChannel;
  private SysPublisher sys;

  private Broker(BrokerConfig config) throws BrokerStartException {
    this.config = config;
    try {
      this.security = Security.start(config, stats);
    } catch (java.io.IOException e) {
      throw new BrokerStartException(e.getMessage(), e);
    }
    this.sessions = new SessionRegistry(config.limits(), stats);
    this.subscriptions = new Subscriptions(router, stats, config.limits().maxTopicLevels());
    boolean epoll = Epoll.isAvailable();
    var factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.transportName = epoll ? "epoll" : "nio";
    this.bossGroup = new MultiThreadIoEventLoopGroup(1, factory);
    // One event loop per processor: more only adds hand-offs between loops on the same cores.
    int threads =
        config.ioThreads() > 0 ? config.ioThreads() : Runtime.getRuntime().availableProcessors();
    this.workerGroup = new MultiThreadIoEventLoopGroup(threads, factory);
  }

  /**
   * Starts a broker and binds its listener.
   *
   * @throws BrokerStartException if the listener cannot be bound (port in use, bad address)
   */
  public static Broker start(BrokerConfig config) throws BrokerStartException {
    Broker broker = new Broker(config);
    try {
      broker.bind();
    } catch (RuntimeException | BrokerStartException e) {
      broker.close();
      throw e;
    }
    return broker;
  }

  private void bind() throws BrokerStartException {
    MqttPipeline pipeline = new MqttPipeline(this);
    Class<? extends ServerChannel> channelClass =
        transportName.equals("epoll")
            ? EpollServerSocketChannel.class
            : NioServerSocketChannel.class;
    ServerBootstrap b =
        new ServerBootstrap()
            .group(bossGroup, workerGroup)
            .channel(channelClass)
            .option(ChannelOption.SO_BACKLOG, 4096)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 << 10, 64 << 10))
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    pipeline.configure(ch.pipeline());
                  }
                });
    var listener = config.listener();
    InetSocketAddress address = new InetSocketAddress(listener.bind(), listener.port());
    try {
      serverChannel = b.bind(address).syncUninterruptibly().channel();
    } catch (Exception e) {
      throw new BrokerStartException(
          "cannot listen on " + listener.bind() + ":" + listener.port() + ": " + e.getMessage(), e);
    }
    if (config.sys().intervalSeconds() > 0) {
      sys = new SysPublisher(this, workerGroup.next(), config.sys().intervalSeconds());
      sys.start();
    }
    log.info(
        "Starling listening on {}:{} (MQTT 3.1, 3.1.1; {} transport, {} I/O threads,"
            + " open-file limit {})",
        listener.bind(),
        port(),
        transportName,
        ((MultiThreadIoEventLoopGroup) workerGroup).executorCount(),
        openFileLimit());
  }

  private static String openFileLimit() {
    var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.UnixOperatingSystemMXBean unix
        ? Long.toString(unix.getMaxFileDescriptorCount())
        : "unknown";
  }

  /** The port the listener is bound to (useful when the config asked for port 0). */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  @Override
  public BrokerConfig config() {
    return config;
  }

  @Override
  public BrokerStats stats() {
    return stats;
  }

  @Override
  public Router router() {
    return router;
  }

  @Override
  public Subscriptions subscriptions() {
    return subscriptions;
  }

  @Override
  public Security security() {
    return security;
  }

  public SessionRegistry sessions() {
    return sessions;
  }

  @Override
  public boolean isShuttingDown() {
    return shuttingDown;
  }

  @Override
  public void takeOver(String clientId, MqttConnection connection, boolean cleanSession) {
    Session s = sessions.getOrCreate(clientId, connection.eventLoop());
    s.execute(
        () -> {
          if (s.isDestroyed()) {
            takeOver(clientId, connection, cleanSession); // a fresh session will be made
            return;
          }
          SessionConnection old = s.connection();
          if (old != null) {
            old.closeForTakeover(); // publishes its will; may drop a clean session
            if (s.isDestroyed()) {
              takeOver(clientId, connection, cleanSession);
              return;
            }
          }
          boolean present = !cleanSession && s.hasState();
          if (cleanSession) {
            // A clean session starts empty [MQTT-3.1.2-6].
            subscriptions.unsubscribeAll(s);
            s.clearMessages();
          }
          s.moveTo(connection.eventLoop());
          connection.eventLoop().execute(() -> connection.onSessionReady(s, present));
        });
  }

  @Override
  public void dropSession(Session session) {
    sessions.remove(session);
    subscriptions.unsubscribeAll(session);
    session.destroy();
  }

  /** Stops accepting, closes every connection without publishing wills, and stops the threads. */
  @Override
  public void close() {
    if (shuttingDown) {
      return;
    }
    shuttingDown = true;
    if (sys != null) {
      sys.stop();
    }
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
    }
    // Shutting the event loops down closes every connection on them; with shuttingDown set, no
    // will is published.
    bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    security.close();
    log.info("Starling stopped");
  }
}
