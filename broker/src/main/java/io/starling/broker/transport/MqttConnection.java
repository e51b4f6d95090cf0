package io.starling.broker.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.starling.broker.routing.Backpressure;
import io.starling.broker.security.ClientPolicy;
import io.starling.broker.security.Peer;
import io.starling.broker.session.Session;
import io.starling.broker.session.SessionConnection;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.MalformedPacketException;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.netty.MqttDecoder;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Unsubscribe;
import io.starling.codec.packet.Will;
import io.starling.codec.wire.PacketEncoder;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, for MQTT 3.1, 3.1.1 and 5.0: the channel's events, and each packet handed
 * to the part that deals with it. How the client gets in (CONNECT, AUTH, login, CONNACK) is {@link
 * ConnectFlow}; what it may do once connected is {@link ClientRequests}; the timer is {@link
 * KeepAlive}; what it is sent goes through {@link PacketWriter}, acknowledgements through {@link
 * AckBatcher}. What these share is the {@link ConnectionState}. This class holds the packets that
 * came before the session was ready, and ends the connection (session detached, will published).
 *
 * <p>One instance per channel; every method runs on the channel's event loop, which also owns the
 * attached session.
 */
@EventLoopOnly
public final class MqttConnection extends ChannelInboundHandlerAdapter
    implements SessionConnection {
  private static final Logger log = LoggerFactory.getLogger(MqttConnection.class);
  private static final int MAX_PENDING = 256;

  private final BrokerContext broker;

  /** The timer wheel of an event loop, shared by the connections on it. */
  private final Function<EventExecutor, TimerWheel> wheels;

  // Made in handlerAdded, when the channel is known; every other callback comes after it.
  private ChannelHandlerContext ctx;
  private ConnectionState state;
  private KeepAlive keepAlive;
  private ConnectFlow connect;
  private ClientRequests requests;
  private MqttDecoder decoder;

  /** Packets that came right behind CONNECT, before the session was attached. */
  private List<MqttPacket> pending = List.of();

  /** A connection with a timer wheel of its own (tests). */
  public MqttConnection(BrokerContext broker) {
    this(broker, TimerWheel::new);
  }

  /**
   * @param wheels the timer wheel of an event loop, called with the channel's loop once
   */
  MqttConnection(BrokerContext broker, Function<EventExecutor, TimerWheel> wheels) {
    this.broker = broker;
    this.wheels = wheels;
  }

  // ---- SessionConnection --------------------------------------------------------------------

  /** The protocol version once CONNECT was read; 3.1.1 before, for refusals. */
  @Override
  public MqttVersion version() {
    return state.version();
  }

  @Override
  public EventLoop eventLoop() {
    return ctx.channel().eventLoop();
  }

  @Override
  public void write(MqttPacket packet) {
    state.writer().write(packet);
  }

  @Override
  public void flush() {
    state.writer().flush();
  }

  @Override
  public boolean isWritable() {
    return ctx.channel().isWritable();
  }

  @Override
  public int receiveMaximum() {
    ConnectTerms terms = state.terms();
    return terms == null ? 65535 : terms.receiveMaximum();
  }

  @Override
  public boolean fits(Publish p) {
    ConnectTerms terms = state.terms();
    if (terms == null || terms.maxPacketSize() == Long.MAX_VALUE) {
      return true;
    }
    long max = terms.maxPacketSize();
    // As it goes: with its topic, or with the alias already set up for the topic, if that fits.
    return PacketEncoder.publishSize(p, version()) <= max
        || (state.aliases() != null && state.aliases().fitsWithAlias(p, max));
  }

  @Override
  public void closeForTakeover() {
    log.debug("client {} taken over by a new connection", state.clientId());
    // The old connection ends without DISCONNECT from its client, so its will is published
    // [MQTT-3.1.4-3]; a 5.0 client is told why with DISCONNECT 0x8E.
    state.disconnect(ReasonCode.SESSION_TAKEN_OVER, null);
    endConnection();
  }

  @Override
  public void closeForSlowSubscriber(int timeoutSeconds) {
    String why = "slow subscriber: nothing taken for " + timeoutSeconds + " s with its queue full";
    log.debug("client {} disconnected: {}", state.clientId(), why);
    if (!ctx.channel().isWritable()) {
      CloseLog.closed(state, ReasonCode.QUOTA_EXCEEDED, why);
      state.closeNow(); // it does not read: a DISCONNECT would wait behind what it did not take
      return;
    }
    state.disconnect(ReasonCode.QUOTA_EXCEEDED, why);
  }

  /** Closes the connection at shutdown, telling a 5.0 client why; no will is published. */
  @Override
  public void closeForShutdown() {
    state.discardWill();
    state.disconnect(ReasonCode.SERVER_SHUTTING_DOWN, null);
  }

  /**
   * Called on this connection's event loop once the session is ours: answers CONNACK, sends what
   * the session kept [MQTT-3.2.0-1], then handles the packets that came in the meantime.
   */
  @Override
  public void onSessionReady(Session s, boolean sessionPresent) {
    if (!connect.onSessionReady(s, sessionPresent)) {
      endConnection(); // the client went away while its session was handed over
      return;
    }
    for (MqttPacket p : pending) {
      try {
        onPacket(p);
      } finally {
        ReferenceCountUtil.release(p);
      }
    }
    pending = List.of();
    broker.router().dispatch();
    state.acks().flush();
    state.writer().flush();
  }

  // ---- channel events -----------------------------------------------------------------------

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.state = new ConnectionState(broker, ctx);
    this.keepAlive = new KeepAlive(wheels.apply(ctx.executor()));
    this.connect = new ConnectFlow(state, keepAlive, this);
    this.requests = new ClientRequests(state);
    if (ctx.pipeline().get("decoder") instanceof MqttDecoder d) {
      this.decoder = d;
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    var security = broker.security();
    InetAddress address = Peer.inetAddressOf(ctx.channel().remoteAddress());
    if (!security.admit(address)) { // per-address connection limits
      CloseLog.closed(state, "over the per-address connection limits");
      ctx.close();
      return;
    }
    if (security.countsConnectionsPerAddress()) {
      ctx.channel().closeFuture().addListener(f -> security.closed(address));
    }
    connect.awaitConnect();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof MqttPacket packet) {
        keepAlive.packetReceived();
        broker.stats().messagesReceived.increment();
        onPacket(packet);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  /**
   * The end of a read batch: the router hands the batch's deliveries to their loops (once per
   * batch), the acknowledgements go to the store or out, and everything written is flushed once.
   */
  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (decoder != null) {
      broker.stats().bytesReceived.add(decoder.takeBytesDecoded());
    }
    Backpressure congested = broker.router().dispatch();
    state.acks().flush();
    state.writer().flush();
    if (congested == null && broker.persistence() != null && broker.persistence().isCongested()) {
      congested = broker.persistence()::whenDrained; // the storage thread is falling behind
    }
    if (congested != null && !isOwnSessionCongested()) {
      state.throttle().pauseUntilDrained(congested, this::isOwnSessionCongested);
    }
    if (broker.security().isMemoryHigh()) { // the global memory high-water mark
      state.throttle().pauseWhileMemoryHigh(broker.security()::isMemoryHigh);
    }
    ReadThrottle throttle = state.throttleIfAny();
    if (throttle != null) {
      throttle.reassert(); // the login's pause may have ended while another one holds
    }
  }

  /**
   * Whether this client's own session is congested: it waits for acknowledgements that only reading
   * the client brings, so a congestion pause must not hold it (see {@link
   * ReadThrottle#pauseUntilDrained}).
   */
  private boolean isOwnSessionCongested() {
    Session s = state.session();
    return s != null && s.connection() == this && s.isCongested();
  }

  /**
   * Over the high-water mark, the client is not read until its outbound buffer drains, and is
   * closed if it stays so (see {@link WriteBacklog}); back under the low-water mark, reading
   * resumes and the session sends what it queued meanwhile.
   */
  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    boolean writable = ctx.channel().isWritable();
    if (!writable || state.backlogIfAny() != null) {
      state.backlog().writabilityChanged();
    }
    Session session = state.session();
    if (writable && session != null && session.connection() == this) {
      session.drainQueue();
      state.writer().flush();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    keepAlive.cancel();
    state.writer().discard();
    WriteBacklog backlog = state.backlogIfAny();
    if (backlog != null) {
      backlog.cancel();
    }
    endConnection();
    for (MqttPacket p : pending) {
      ReferenceCountUtil.release(p);
    }
    pending = List.of();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable c =
        cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    if (c instanceof MalformedPacketException bad) {
      log.debug(
          "client {} from {}: {}", state.clientId(), ctx.channel().remoteAddress(), bad.toString());
      if (!connect.refusedMalformedConnect(bad)) {
        state.disconnect(bad.reasonCode(), bad.getMessage());
      }
    } else if (c instanceof IOException) {
      log.debug("client {}: {}", state.clientId(), c.toString());
      ctx.close();
    } else {
      log.error("client {}: unexpected error, closing the connection", state.clientId(), c);
      ctx.close();
    }
  }

  /** What happens whenever the connection ends, however it ends. Runs once. */
  private void endConnection() {
    connect.connectionEnded();
    ClientPolicy loggedIn = state.policy();
    if (loggedIn != null && !state.isDisconnectedByClient() && !broker.isShuttingDown()) {
      // Only connections that end abnormally count towards flapping: a clean connect and
      // DISCONNECT cycle, however often, never does.
      broker.security().connectionEndedAbnormally(loggedIn.username(), state.clientId());
    }
    Session s = state.session();
    if (s == null || s.connection() != this) {
      return;
    }
    state.dropSession();
    Will w = state.takeWill();
    ClientPolicy policy = state.policy();
    if (w != null && policy != null && !policy.canPublish(w.topic())) {
      broker.stats().publishDenied.increment(); // a will may not go where the ACL forbids
      w = null;
    }
    s.detach();
    if (broker.hooks().hasLifecycle()) {
      boolean byClient = state.isDisconnectedByClient();
      broker.hooks().lifecycle(l -> l.onDisconnected(s.clientId(), byClient));
    }
    broker.lifecycle().disconnected(s, state.sessionExpirySeconds(), w);
  }

  // ---- packets ------------------------------------------------------------------------------

  private void onPacket(MqttPacket packet) {
    if (!connect.isConnectSeen()) {
      connect.onFirstPacket(packet);
      return;
    }
    if (state.isClosing()) {
      return; // refused or disconnecting: nothing more is processed [MQTT-3.1.4-6]
    }
    if (connect.isAuthenticating()) {
      connect.onPacketWhileAuthenticating(packet);
    } else if (state.session() == null) {
      hold(packet);
    } else {
      dispatch(packet);
    }
  }

  /**
   * CONNECT accepted but the session is still being handed over: nothing else may come yet. A
   * client that pipelines packets behind CONNECT gets them processed in order once attached.
   */
  private void hold(MqttPacket packet) {
    if (pending.size() >= MAX_PENDING) {
      CloseLog.closed(state, "more than " + MAX_PENDING + " packets before CONNACK");
      ctx.close();
      return;
    }
    if (pending.isEmpty()) {
      pending = new ArrayList<>(4);
    }
    pending.add(ReferenceCountUtil.retain(packet));
  }

  private void dispatch(MqttPacket packet) {
    switch (packet.type()) {
      case PUBLISH -> requests.onPublish((Publish) packet);
      case PUBACK -> requests.onPubAck((PubAck) packet);
      case PUBREC -> requests.onPubRec((PubRec) packet);
      case PUBCOMP -> requests.onPubComp((PubComp) packet);
      case PUBREL -> requests.onPubRel((PubRel) packet);
      case SUBSCRIBE -> requests.onSubscribe((Subscribe) packet);
      case UNSUBSCRIBE -> requests.onUnsubscribe((Unsubscribe) packet);
      case PINGREQ -> write(PingResp.INSTANCE);
      case DISCONNECT -> requests.onDisconnect((Disconnect) packet);
      case AUTH -> connect.onAuth((Auth) packet);
      default -> {
        // A second CONNECT [MQTT-3.1.0-2], or a packet only a server sends.
        state.disconnect(ReasonCode.PROTOCOL_ERROR, "unexpected " + packet.type());
      }
    }
  }
}
