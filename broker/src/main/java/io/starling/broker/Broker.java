package io.starling.broker;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.BrokerConfig.Listener;
import io.starling.broker.config.BrokerStartException;
import io.starling.broker.config.PersistenceConfig;
import io.starling.broker.extension.Hooks;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.routing.RetainedStore;
import io.starling.broker.routing.Router;
import io.starling.broker.security.EnhancedAuthenticator;
import io.starling.broker.security.Security;
import io.starling.broker.session.Recovery;
import io.starling.broker.session.Session;
import io.starling.broker.session.SessionConnection;
import io.starling.broker.session.SessionLifecycle;
import io.starling.broker.session.SessionRegistry;
import io.starling.broker.session.StoredCopies;
import io.starling.broker.session.Subscriptions;
import io.starling.broker.store.StorageBackend;
import io.starling.broker.store.StoreCorruptException;
import io.starling.broker.store.internal.Persistence;
import io.starling.broker.sys.SysPublisher;
import io.starling.broker.transport.BrokerContext;
import io.starling.broker.transport.SessionOwners;
import io.starling.codec.QoS;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running MQTT broker: its listeners (tcp, tls, ws, wss), event loops, sessions, routing and
 * {@code $SYS}. Start it with {@link #start}, stop it with {@link #close}. Thread-safe.
 */
public final class Broker implements BrokerContext, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Broker.class);

  private final BrokerConfig config;
  private final BrokerStats stats = new BrokerStats();
  private final Router router;

  /** The store, or null when persistence is off. */
  private final Persistence store;

  private final Subscriptions subscriptions;
  private final Hooks hooks;
  private final SessionRegistry sessions;
  private final SessionLifecycle lifecycle;
  private final Map<String, EnhancedAuthenticator> authenticators = new ConcurrentHashMap<>();
  private final Security security;
  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final String transportName;
  private volatile boolean shuttingDown;

  private final Listeners listeners;

  private SysPublisher sys;

  private Broker(BrokerConfig config, Persistence store, Hooks hooks) throws BrokerStartException {
    this.config = config;
    this.store = store;
    this.hooks = hooks;
    StoredCopies copies = store == null ? null : new StoredCopies(store);
    this.router = new Router(copies, hooks, stats, new RetainedStore(config.limits(), stats));
    try {
      this.security = Security.start(config, stats);
    } catch (java.io.IOException e) {
      throw new BrokerStartException(e.getMessage(), e);
    }
    security.enhancedAuthenticators().forEach(a -> authenticators.put(a.method(), a));
    this.sessions =
        new SessionRegistry(
            config.limits(), stats, copies, hooks, SessionOwners.readChecks(security));
    this.subscriptions =
        new Subscriptions(
            router,
            stats,
            config.limits().maxTopicLevels(),
            QoS.of(config.protocol().maximumQos()),
            config.limits().maxSubscriptionBytes());
    this.lifecycle =
        new SessionLifecycle(
            sessions,
            router,
            subscriptions,
            stats,
            () -> shuttingDown,
            SessionLifecycle.Takeover.of(config));
    boolean epoll = Epoll.isAvailable();
    var factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.transportName = epoll ? "epoll" : "nio";
    this.bossGroup = new MultiThreadIoEventLoopGroup(1, factory);
    // One event loop per processor: more only adds hand-offs between loops on the same cores.
    int threads =
        config.ioThreads() > 0 ? config.ioThreads() : Runtime.getRuntime().availableProcessors();
    this.workerGroup = new MultiThreadIoEventLoopGroup(threads, factory);
    this.listeners = new Listeners(config, bossGroup, workerGroup, transportName);
  }

  /**
   * Starts a broker and binds its listener.
   *
   * @throws BrokerStartException if the listener cannot be bound (port in use, bad address)
   */
  public static Broker start(BrokerConfig config) throws BrokerStartException {
    PersistenceConfig p = config.persistence();
    return start(config, p.enabled() ? BrokerStorage.open(p) : null);
  }

  /**
   * Starts a broker whose state lives in {@code backend} (with the durability settings of {@code
   * config.persistence()}), restoring what the backend holds; {@code null} for no persistence. The
   * broker closes the backend when it stops.
   *
   * @throws BrokerStartException if the stored data cannot be read (and the config does not force
   *     the start), or the listener cannot be bound
   */
  public static Broker start(BrokerConfig config, StorageBackend backend)
      throws BrokerStartException {
    return start(config, backend, Hooks.NONE);
  }

  /**
   * Starts a broker as {@link #start(BrokerConfig, StorageBackend)} does, with {@code hooks}
   * plugged into its PUBLISH path, deliveries and lifecycle (see {@link Hooks}).
   */
  public static Broker start(BrokerConfig config, StorageBackend backend, Hooks hooks)
      throws BrokerStartException {
    Persistence store = backend == null ? null : Persistence.over(backend, config.persistence());
    Broker broker;
    try {
      broker = new Broker(config, store, hooks);
    } catch (BrokerStartException e) {
      if (store != null) {
        store.close();
      }
      throw e;
    }
    try {
      if (store != null) {
        broker.recover();
      }
      broker.bind();
    } catch (RuntimeException | BrokerStartException e) {
      broker.close();
      throw e;
    }
    return broker;
  }

  private void recover() throws BrokerStartException {
    try {
      Recovery.Result r =
          Recovery.restore(
              store,
              config.persistence().forceStart(),
              sessions,
              subscriptions,
              router,
              lifecycle,
              workerGroup::next);
      log.info(
          "restored from {}: {} sessions, {} subscriptions, {} messages in flight, {} queued on"
              + " disk, {} retained{}",
          store.backend().location(),
          r.sessions(),
          r.subscriptions(),
          r.inflight(),
          r.queued(),
          r.retained(),
          r.skipped() > 0 ? "; " + r.skipped() + " unreadable records skipped" : "");
    } catch (StoreCorruptException e) {
      throw new BrokerStartException(e.getMessage(), e);
    }
    store.start();
  }

  private void bind() throws BrokerStartException {
    listeners.bindAll(this);
    if (config.sys().intervalSeconds() > 0) {
      sys =
          new SysPublisher(
              stats, router, sessions::size, workerGroup.next(), config.sys().intervalSeconds());
      sys.start();
    }
    Listener first = config.listeners().get(0);
    log.info(
        "Starling listening on {}:{} (MQTT 3.1, 3.1.1, 5.0; {} transport, {} I/O threads,"
            + " open-file limit {}; {})",
        first.bind(),
        port(),
        transportName,
        ((MultiThreadIoEventLoopGroup) workerGroup).executorCount(),
        Listeners.openFileLimit(),
        JvmDescription.describe());
    for (Listener l : config.listeners()) {
      log.info("{}", listeners.describeBound(l));
    }
  }

  /** The port the first listener is bound to (useful when the config asked for port 0). */
  public int port() {
    return port(config.listeners().get(0).name());
  }

  /**
   * The port the listener named {@code listenerName} is bound to.
   *
   * @throws IllegalArgumentException if there is no such listener
   */
  public int port(String listenerName) {
    return listeners.port(listenerName);
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
  public EnhancedAuthenticator enhancedAuthenticator(String method) {
    return authenticators.get(method);
  }

  /** Offers an enhanced authentication method to MQTT 5.0 clients from now on. */
  public void addEnhancedAuthenticator(EnhancedAuthenticator authenticator) {
    authenticators.put(authenticator.method(), authenticator);
  }

  @Override
  public Persistence persistence() {
    return store;
  }

  @Override
  public SessionLifecycle lifecycle() {
    return lifecycle;
  }

  /** The extension hooks plugged in at start (or {@link Hooks#NONE}). */
  @Override
  public Hooks hooks() {
    return hooks;
  }

  /**
   * Closes every connected client's connection on its own loop, telling 5.0 clients the server is
   * shutting down; waits a little for that, as the loops stop right after.
   */
  private void closeConnections() {
    List<Session> all = sessions.snapshot();
    CountDownLatch done = new CountDownLatch(all.size());
    for (Session s : all) {
      s.execute(
          () -> {
            try {
              SessionConnection c = s.connection();
              if (c != null) {
                c.closeForShutdown();
              }
            } finally {
              done.countDown();
            }
          });
    }
    try {
      done.await(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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
    listeners.closeAll();
    closeConnections();
    // Shutting the event loops down closes every connection on them; with shuttingDown set, no
    // will is published.
    bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    security.close();
    if (store != null) {
      // After the loops: what they wrote last (sessions' disconnection times) is kept.
      store.close();
    }
    log.info("Starling stopped");
  }
}
