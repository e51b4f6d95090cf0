package io.starling.broker;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.BrokerConfig.Listener;
import io.starling.broker.config.BrokerStartException;
import io.starling.broker.transport.BrokerContext;
import io.starling.broker.transport.ConnectionAttributes;
import io.starling.broker.transport.ListenerInitializer;
import io.starling.broker.transport.TlsContextLoader;
import io.starling.broker.transport.TlsContextSource;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The broker's listening sockets: one server channel per configured listener (tcp, tls, ws, wss),
 * the TLS files they use and the thread that reloads them. Wiring only; what a connection does is
 * in the transport. Used by {@link Broker} at start and stop.
 */
final class Listeners {
  private final BrokerConfig config;
  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final String transportName;

  /** Bound server channels by listener name, in config order. */
  private final Map<String, Channel> serverChannels = new LinkedHashMap<>();

  /** Checks TLS files for changes; null when no listener reloads them. */
  private ScheduledExecutorService tlsReloader;

  Listeners(
      BrokerConfig config,
      EventLoopGroup bossGroup,
      EventLoopGroup workerGroup,
      String transportName) {
    this.config = config;
    this.bossGroup = bossGroup;
    this.workerGroup = workerGroup;
    this.transportName = transportName;
  }

  /** Binds every listener, their connections served by {@code context}. */
  void bindAll(BrokerContext context) throws BrokerStartException {
    // Every TLS file is checked before any port is bound, so a bad file stops start-up cleanly.
    Map<String, TlsContextSource> tls = new LinkedHashMap<>();
    for (Listener l : config.listeners()) {
      if (l.tls() != null) {
        tls.put(l.name(), TlsContextSource.load(l.tls(), describe(l)));
      }
    }
    for (Listener l : config.listeners()) {
      bind(l, tls.get(l.name()), context);
    }
    scheduleTlsReload(tls);
  }

  /** Stops accepting on every listener and stops reloading TLS files. */
  void closeAll() {
    if (tlsReloader != null) {
      tlsReloader.shutdownNow();
    }
    for (Channel ch : serverChannels.values()) {
      ch.close().syncUninterruptibly();
    }
  }

  private void bind(Listener l, TlsContextSource tls, BrokerContext context)
      throws BrokerStartException {
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
            .attr(ConnectionAttributes.LISTENER_NAME, l.name())
            .childHandler(new ListenerInitializer(context, l, tls));
    if (l.allowAnonymous() != null) {
      b.attr(ConnectionAttributes.ALLOW_ANONYMOUS, l.allowAnonymous());
    }
    InetSocketAddress address = new InetSocketAddress(l.bind(), l.port());
    try {
      serverChannels.put(l.name(), b.bind(address).syncUninterruptibly().channel());
    } catch (Exception e) {
      throw new BrokerStartException(
          describe(l) + " cannot listen on " + l.bind() + ":" + l.port() + ": " + e.getMessage(),
          e);
    }
  }

  private void scheduleTlsReload(Map<String, TlsContextSource> tls) {
    for (Listener l : config.listeners()) {
      TlsContextSource source = tls.get(l.name());
      if (source == null || l.tls().reloadIntervalSeconds() == 0) {
        continue;
      }
      if (tlsReloader == null) {
        // Its own thread: reloading reads files, which must never happen on an event loop.
        tlsReloader =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "starling-tls-reload");
                  t.setDaemon(true);
                  return t;
                });
      }
      long every = l.tls().reloadIntervalSeconds();
      tlsReloader.scheduleWithFixedDelay(source::reloadIfChanged, every, every, TimeUnit.SECONDS);
    }
  }

  static String describe(Listener l) {
    return "listener '" + l.name() + "' (" + l.kind().configName() + ")";
  }

  String describeBound(Listener l) {
    StringBuilder sb =
        new StringBuilder(describe(l))
            .append(" on ")
            .append(l.bind())
            .append(':')
            .append(port(l.name()));
    if (l.tls() != null) {
      sb.append(", TLS engine ")
          .append(TlsContextLoader.providerName())
          .append(", protocols ")
          .append(String.join("/", l.tls().protocols()))
          .append(", client certificates ")
          .append(l.tls().clientAuth().configName());
    }
    if (l.websocket() != null) {
      sb.append(", WebSocket path ").append(l.websocket().path());
    }
    return sb.toString();
  }

  static String openFileLimit() {
    var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.UnixOperatingSystemMXBean unix
        ? Long.toString(unix.getMaxFileDescriptorCount())
        : "unknown";
  }

  /**
   * The port the listener named {@code listenerName} is bound to.
   *
   * @throws IllegalArgumentException if there is no such listener
   */
  int port(String listenerName) {
    Channel ch = serverChannels.get(listenerName);
    if (ch == null) {
      throw new IllegalArgumentException("no listener named '" + listenerName + "'");
    }
    return ((InetSocketAddress) ch.localAddress()).getPort();
  }
}
