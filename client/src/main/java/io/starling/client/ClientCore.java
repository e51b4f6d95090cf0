package io.starling.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.starling.client.internal.Backoff;
import io.starling.client.internal.ConnectionEvents;
import io.starling.client.internal.PacketIds;
import io.starling.client.internal.Pipelines;
import io.starling.client.internal.TransportSettings;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscription;
import io.starling.codec.packet.UnsubAck;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;

/**
 * The client's state machine. Everything here runs on one event loop of the client's own; {@link
 * MqttClient} hops onto it ({@link #execute}), so no state is shared between threads and nothing is
 * locked. It speaks the API's types (messages, futures that fail with {@link MqttClientException})
 * and lives beside them; the connection itself (pipelines, TLS, WebSocket, keep-alive) is in {@code
 * internal}, which reports back through {@link ConnectionEvents}.
 *
 * <pre>
 *   IDLE --connect()--> CONNECTING --CONNACK ok--> CONNECTED --lost--> WAITING
 *    ^                   |    ^                                           |
 *    +-- first attempt --+    +---------------- backoff elapsed ----------+
 *        fails (its future fails)
 *
 *   any --disconnect()--> DISCONNECTING --closed--> IDLE      shutdown() --> CLOSED
 * </pre>
 */
final class ClientCore implements ConnectionEvents {
  private static final InternalLogger LOG = InternalLoggerFactory.getInstance(ClientCore.class);

  private enum State {
    IDLE,
    CONNECTING,
    CONNECTED,
    WAITING,
    DISCONNECTING,
    CLOSED
  }

  private final ClientConfig config;
  private final EventLoopGroup group;
  private final EventLoop loop;
  private final Bootstrap bootstrap;
  private final PacketIds ids = new PacketIds();
  private final Outbound outbound;
  private final Subscriptions subscriptions;
  private final Inbound inbound;
  private final ExecutorService ownCallbacks;
  private final Backoff backoff;
  private State state = State.IDLE;
  private Channel channel;
  private CompletableFuture<ConnectResult> connecting;
  private ConnectResult lastConnect;
  private boolean everConnected;
  private int attempt;
  private String failure;
  private MqttClientException refusal;
  private ScheduledFuture<?> timer;
  private volatile boolean connected;

  ClientCore(ClientConfig config) {
    // First, so that unreadable TLS files fail build() before any thread is started.
    TransportSettings transport = transportSettings(config);
    this.config = config;
    this.group =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("starling-client", true), NioIoHandler.newFactory());
    this.loop = group.next();
    this.outbound = new Outbound(ids, config.offlineBufferMessages(), config.maxInflight());
    this.subscriptions = new Subscriptions(ids);
    this.backoff = new Backoff(config.reconnectMinDelay(), config.reconnectMaxDelay());
    Consumer<Runnable> callbacks;
    if (config.callbackExecutor() != null) {
      this.ownCallbacks = null;
      callbacks = config.callbackExecutor()::execute;
    } else {
      this.ownCallbacks =
          Executors.newSingleThreadExecutor(new DefaultThreadFactory("starling-callbacks", true));
      callbacks = ownCallbacks::execute;
    }
    this.inbound = new Inbound(subscriptions, callbacks, config.defaultHandler());
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
            .handler(new Pipelines(transport, this));
  }

  ClientConfig config() {
    return config;
  }

  /** Whether a session is up right now; any thread. */
  boolean isConnected() {
    return connected;
  }

  /** Runs {@code task} on the client's event loop. */
  void execute(Runnable task) {
    loop.execute(task);
  }

  // ---- MqttClient's operations, called on the event loop through execute() ----

  void connect(CompletableFuture<ConnectResult> done) {
    switch (state) {
      case CLOSED ->
          done.completeExceptionally(new MqttClientException("client closed", null, null));
      case CONNECTED -> done.complete(lastConnect);
      default -> {
        if (connecting != null) {
          connecting.whenComplete((r, e) -> complete(done, r, e));
          return;
        }
        connecting = done;
        if (state == State.IDLE || state == State.DISCONNECTING) {
          open();
        }
      }
    }
  }

  void publish(Message m, CompletableFuture<ReasonCode> done) {
    if (state == State.CLOSED) {
      done.completeExceptionally(new MqttClientException("client closed", null, null));
      return;
    }
    outbound.submit(m, done);
  }

  void subscribe(
      List<Subscription> subs,
      Consumer<Message> handler,
      CompletableFuture<List<ReasonCode>> done) {
    subscriptions.subscribe(subs, handler, done);
  }

  void unsubscribe(List<String> filters, CompletableFuture<List<ReasonCode>> done) {
    subscriptions.unsubscribe(filters, done);
  }

  /** Ends the session politely; queued and unacknowledged messages stay for a later connect. */
  void disconnect(CompletableFuture<Void> done) {
    cancelTimer();
    Channel ch = channel;
    if (ch == null || state == State.CLOSED) {
      state = state == State.CLOSED ? State.CLOSED : State.IDLE;
      failConnecting(new MqttClientException("disconnected before connecting", null, null));
      done.complete(null);
      return;
    }
    state = State.DISCONNECTING;
    ch.writeAndFlush(Disconnect.NORMAL).addListener(ChannelFutureListener.CLOSE);
    ch.closeFuture().addListener(f -> done.complete(null));
  }

  /** After {@link #disconnect}: fails what is left and stops the threads. */
  void shutdown() {
    MqttClientException e = new MqttClientException("client closed", null, null);
    state = State.CLOSED;
    outbound.failAll(e);
    subscriptions.failAll(e);
    failConnecting(e);
    if (ownCallbacks != null) {
      ownCallbacks.shutdown();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  // ---- connection events, from the pipeline (ConnectionEvents) ----

  private void open() {
    state = State.CONNECTING;
    failure = null;
    refusal = null;
    ChannelFuture cf = bootstrap.connect(config.host(), config.port());
    Channel ch = cf.channel();
    channel = ch;
    timer =
        loop.schedule(
            () ->
                connectionFailed(
                    ch, "no CONNACK within " + config.connectTimeout().toMillis() + " ms"),
            config.connectTimeout().toMillis(),
            TimeUnit.MILLISECONDS);
    cf.addListener(
        f -> {
          if (!f.isSuccess()) {
            failure = String.valueOf(f.cause().getMessage());
            closed(ch);
          }
        });
  }

  @Override
  public void transportReady(Channel ch) {
    if (ch == channel) {
      ch.writeAndFlush(Wire.connect(config), ch.voidPromise());
    }
  }

  @Override
  public void connectionFailed(Channel ch, String reason) {
    if (ch == channel) {
      failure = failure == null ? reason : failure;
      ch.close();
    }
  }

  @Override
  public void closed(Channel ch) {
    if (ch != channel) {
      return;
    }
    channel = null;
    connected = false;
    cancelTimer();
    outbound.disconnected();
    subscriptions.disconnected();
    if (state == State.CLOSED) {
      return;
    }
    if (state == State.DISCONNECTING) {
      state = State.IDLE;
      failConnecting(
          new MqttClientException("disconnected before the broker answered", null, null));
      return;
    }
    MqttClientException why = refusal != null ? refusal : lostException();
    if (!everConnected && connecting != null) {
      state = State.IDLE; // the first attempt reports its failure instead of retrying
      connecting.completeExceptionally(why);
      connecting = null;
    } else if (config.automaticReconnect()) {
      state = State.WAITING;
      long delay = backoff.delayMillis(attempt++);
      LOG.debug("{}; reconnecting in {} ms", why.getMessage(), delay);
      timer = loop.schedule(this::open, delay, TimeUnit.MILLISECONDS);
    } else {
      state = State.IDLE;
      outbound.failAll(why);
      subscriptions.failAll(why);
    }
  }

  private MqttClientException lostException() {
    String where = config.host() + ":" + config.port();
    String what = everConnected ? "connection to " + where + " lost" : "cannot connect to " + where;
    return new MqttClientException(what + (failure == null ? "" : ": " + failure), null, null);
  }

  @Override
  public void packet(Channel ch, MqttPacket packet) {
    if (ch != channel) {
      return;
    }
    switch (packet.type()) {
      case CONNACK -> connAck(ch, (ConnAck) packet);
      case PUBLISH -> inbound.publish(ch, (Publish) packet);
      case PUBREL -> inbound.pubRel(ch, ((PubRel) packet).packetId());
      case PUBACK -> {
        PubAck a = (PubAck) packet;
        outbound.completed(a.packetId(), a.reasonCode(), reason(a.properties()));
      }
      case PUBREC -> {
        PubRec a = (PubRec) packet;
        outbound.received(a.packetId(), a.reasonCode(), reason(a.properties()));
      }
      case PUBCOMP -> {
        PubComp a = (PubComp) packet;
        outbound.completed(a.packetId(), a.reasonCode(), reason(a.properties()));
      }
      case SUBACK -> {
        SubAck a = (SubAck) packet;
        subscriptions.acknowledged(a.packetId(), a.reasonCodes(), a.properties());
      }
      case UNSUBACK -> {
        UnsubAck a = (UnsubAck) packet;
        subscriptions.acknowledged(a.packetId(), a.reasonCodes(), a.properties());
      }
      case DISCONNECT -> {
        Disconnect d = (Disconnect) packet;
        refusal =
            new MqttClientException(
                "the broker disconnected", d.reasonCode(), reason(d.properties()));
      }
      case AUTH -> auth(ch, (Auth) packet);
      default -> {
        // PINGRESP: reading it is enough (the idle timer restarts)
      }
    }
  }

  private void connAck(Channel ch, ConnAck a) {
    cancelTimer();
    Properties p = a.properties();
    if (a.reasonCode().isError()) {
      refusal = new MqttClientException("connection refused", a.reasonCode(), reason(p));
      ch.close();
      return;
    }
    state = State.CONNECTED;
    connected = true;
    attempt = 0;
    everConnected = true;
    String clientId =
        p.stringValue(PropertyId.ASSIGNED_CLIENT_IDENTIFIER).orElse(config.clientId());
    p.intValue(PropertyId.SERVER_KEEP_ALIVE).ifPresent(s -> Pipelines.keepAlive(ch, s));
    if (config.enhancedAuth() != null) {
      config.enhancedAuth().succeeded(authData(p));
    }
    inbound.connected(a.sessionPresent());
    subscriptions.connected(ch, a.sessionPresent());
    outbound.connected(
        ch,
        config.version(),
        p.intValue(PropertyId.RECEIVE_MAXIMUM).orElse(65_535),
        p.intValue(PropertyId.TOPIC_ALIAS_MAXIMUM).orElse(0),
        p.longValue(PropertyId.MAXIMUM_PACKET_SIZE).orElse(Long.MAX_VALUE));
    lastConnect = new ConnectResult(a.sessionPresent(), clientId, p);
    if (connecting != null) {
      connecting.complete(lastConnect);
      connecting = null;
    }
  }

  private void auth(Channel ch, Auth a) {
    if (config.enhancedAuth() == null || a.reasonCode() != ReasonCode.CONTINUE_AUTHENTICATION) {
      connectionFailed(ch, "unexpected AUTH " + a.reasonCode());
      return;
    }
    try {
      byte[] answer = config.enhancedAuth().respond(authData(a.properties()));
      Properties props =
          Properties.builder()
              .add(PropertyId.AUTHENTICATION_METHOD, config.enhancedAuth().method())
              .add(PropertyId.AUTHENTICATION_DATA, BinaryData.of(answer))
              .build();
      ch.writeAndFlush(new Auth(ReasonCode.CONTINUE_AUTHENTICATION, props), ch.voidPromise());
    } catch (MqttClientException e) {
      refusal = e;
      ch.close();
    }
  }

  private static TransportSettings transportSettings(ClientConfig c) {
    return new TransportSettings(
        c.host(),
        c.port(),
        c.transport().isTls() ? sslContext(c) : null,
        c.transport().isWebSocket(),
        c.webSocketPath(),
        c.version(),
        c.keepAliveSeconds());
  }

  private static SslContext sslContext(ClientConfig c) {
    try {
      return Pipelines.sslContext(c.caFile(), c.certFile(), c.keyFile());
    } catch (SSLException | IllegalArgumentException e) {
      throw new MqttClientException("cannot read the TLS files: " + e.getMessage(), e);
    }
  }

  private static byte[] authData(Properties p) {
    return p.binaryValue(PropertyId.AUTHENTICATION_DATA)
        .map(BinaryData::toByteArray)
        .orElse(new byte[0]);
  }

  private static String reason(Properties p) {
    return p.stringValue(PropertyId.REASON_STRING).orElse(null);
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void failConnecting(MqttClientException e) {
    if (connecting != null) {
      connecting.completeExceptionally(e);
      connecting = null;
    }
  }

  private static <T> void complete(CompletableFuture<T> f, T value, Throwable e) {
    if (e != null) {
      f.completeExceptionally(e);
    } else {
      f.complete(value);
    }
  }
}
