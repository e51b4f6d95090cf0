package io.starling.broker.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.starling.broker.BrokerContext;
import io.starling.broker.routing.Levels;
import io.starling.broker.security.ClientPolicy;
import io.starling.broker.security.Login;
import io.starling.broker.security.ReadThrottle;
import io.starling.broker.session.Backpressure;
import io.starling.broker.session.Session;
import io.starling.broker.session.SessionConnection;
import io.starling.codec.MalformedPacketException;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.netty.MqttDecoder;
import io.starling.codec.netty.MqttEncoder;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.UnsubAck;
import io.starling.codec.packet.Unsubscribe;
import io.starling.codec.packet.Will;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: the MQTT state machine from CONNECT to close. One instance per channel;
 * every method runs on the channel's event loop, which also owns the attached session.
 */
public final class MqttConnection extends ChannelInboundHandlerAdapter
    implements SessionConnection {
  private static final Logger log = LoggerFactory.getLogger(MqttConnection.class);

  private final BrokerContext broker;
  private ChannelHandlerContext ctx;

  /** Before CONNECT the connect timeout, after it the keep-alive check. */
  private ScheduledFuture<?> timer;

  private long keepAliveNanos;
  private long lastPacketNanos;
  private MqttDecoder decoder;
  private Consumer<ByteBuf> writer;

  private MqttVersion version;
  private String clientId;
  private Session session;
  private Will will;
  private boolean connectSeen;
  private boolean counted;
  private boolean cleanSession;

  /** What this client may do; set once security let it in. */
  private ClientPolicy policy;

  /** CONNECT was refused: nothing the client sends afterwards is processed [MQTT-3.1.4-5]. */
  private boolean refused;

  /** The will is not to be published: DISCONNECT received, taken over after a will, or shutdown. */
  private boolean willDone;

  public MqttConnection(BrokerContext broker) {
    this.broker = broker;
  }

  /** The protocol version once CONNECT was read; 3.1.1 before, for refusals. */
  MqttVersion version() {
    return version == null ? MqttVersion.V3_1_1 : version;
  }

  // ---- SessionConnection --------------------------------------------------------------------

  @Override
  public EventLoop eventLoop() {
    return ctx.channel().eventLoop();
  }

  @Override
  public void write(MqttPacket packet) {
    // Encoded here rather than by an encoder handler: one handler less on every connection.
    try {
      broker.stats().bytesSent.add(MqttEncoder.encode(packet, version(), ctx.alloc(), writer));
    } finally {
      ReferenceCountUtil.release(packet);
    }
  }

  @Override
  public void flush() {
    ctx.flush();
  }

  @Override
  public boolean isWritable() {
    return ctx.channel().isWritable();
  }

  @Override
  public void closeForTakeover() {
    log.debug("client {} taken over by a new connection", clientId);
    // The old connection ends without DISCONNECT, so its will is published [MQTT-3.1.4-2].
    endConnection();
    ctx.close();
  }

  // ---- channel events -----------------------------------------------------------------------

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.writer = buf -> ctx.write(buf, ctx.voidPromise());
    if (ctx.pipeline().get("decoder") instanceof MqttDecoder d) {
      this.decoder = d;
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (!broker.security().admit(ctx.channel())) { // security: per-address connection limits
      ctx.close();
      return;
    }
    // A socket that sends no CONNECT in time is closed [MQTT-3.1.4-1 and section 3.1].
    timer =
        ctx.executor()
            .schedule(
                () -> {
                  if (!connectSeen) {
                    log.debug("{}: no CONNECT in time, closing", ctx.channel().remoteAddress());
                    ctx.close();
                  }
                },
                broker.config().limits().connectTimeoutSeconds(),
                TimeUnit.SECONDS);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof MqttPacket packet) {
        if (keepAliveNanos > 0) {
          lastPacketNanos = System.nanoTime();
        }
        broker.stats().messagesReceived.increment();
        onPacket(packet);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (decoder != null) {
      broker.stats().bytesReceived.add(decoder.takeBytesDecoded());
    }
    Backpressure congested = broker.router().dispatch();
    ctx.flush();
    if (congested != null) {
      pause(congested);
    }
    if (broker.security().isMemoryHigh()) { // security: global memory high-water mark
      ReadThrottle.pauseWhileMemoryHigh(ctx.channel(), broker.security());
    }
  }

  /**
   * Stops reading this client until {@code congested} drains, so that publishers slow down to what
   * subscribers take. A subscriber that takes nothing at all cannot hold its publishers for more
   * than a second: reading resumes then, and the queue's overflow policy applies.
   */
  private void pause(Backpressure congested) {
    ctx.channel().config().setAutoRead(false);
    Runnable resume = () -> ctx.channel().config().setAutoRead(true);
    congested.whenDrained(() -> ctx.executor().execute(resume));
    ctx.executor().schedule(resume, 1, TimeUnit.SECONDS);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable() && session != null && session.connection() == this) {
      session.drainQueue();
      ctx.flush();
    }
    ctx.fireChannelWritabilityChanged();
  }

  /**
   * Closes the connection, publishing the will, when no packet came within 1.5 times the keep-alive
   * [MQTT-3.1.2-24]; otherwise checks again when that time would be up. One timer per connection,
   * rescheduled at most once per keep-alive period, instead of an idle-state handler.
   */
  private void checkKeepAlive() {
    long idle = System.nanoTime() - lastPacketNanos;
    if (idle >= keepAliveNanos) {
      log.debug("client {}: keep-alive expired", clientId);
      timer = null;
      ctx.close();
    } else {
      timer =
          ctx.executor()
              .schedule(this::checkKeepAlive, keepAliveNanos - idle, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (timer != null) {
      timer.cancel(false);
    }
    endConnection();
    releasePending();
  }

  private void releasePending() {
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
      onMalformed(bad);
    } else if (c instanceof IOException) {
      log.debug("client {}: {}", clientId, c.toString());
      ctx.close();
    } else {
      log.error("client {}: unexpected error, closing the connection", clientId, c);
      ctx.close();
    }
  }

  private void onMalformed(MalformedPacketException bad) {
    log.debug("client {} from {}: {}", clientId, ctx.channel().remoteAddress(), bad.toString());
    if (bad.isConnect()
        && !connectSeen
        && bad.reasonCode() == ReasonCode.UNSUPPORTED_PROTOCOL_VERSION) {
      // A level we do not speak gets CONNACK 0x01 in the 3.1.1 format, then close [MQTT-3.1.2-2].
      refuse(ReasonCode.UNSUPPORTED_PROTOCOL_VERSION);
      return;
    }
    ctx.close();
  }

  /** What happens whenever the connection ends, however it ends. Runs once. */
  private void endConnection() {
    if (session == null || session.connection() != this) {
      if (counted) {
        counted = false;
        broker.stats().disconnected();
      }
      return;
    }
    Session s = session;
    session = null;
    if (counted) {
      counted = false;
      broker.stats().disconnected();
    }
    if (will != null && will.topic().startsWith("$")) {
      // A will cannot do what a PUBLISH may not: topics starting with $ are the broker's.
      broker.stats().publishDroppedSys.increment();
      will = null;
    }
    if (will != null && policy != null && !policy.canPublish(will.topic())) {
      broker.stats().publishDenied.increment(); // security: nor may it go where the ACL forbids
      will = null;
    }
    if (!willDone && will != null && !broker.isShuttingDown()) {
      willDone = true;
      Will w = will;
      will = null;
      // [MQTT-3.1.2-8]: published when the connection closes without DISCONNECT.
      var payload = Unpooled.wrappedBuffer(w.payload().toByteArray());
      broker.router().publish(w.topic(), payload, w.qos(), w.retain());
      broker.router().dispatch();
      payload.release();
    }
    s.detach();
    if (cleanSession) {
      // A clean session lasts as long as its connection [MQTT-3.1.2-6].
      broker.dropSession(s);
    }
  }

  // ---- packets ------------------------------------------------------------------------------

  private void onPacket(MqttPacket packet) {
    if (!connectSeen) {
      if (packet instanceof Connect c) {
        onConnect(c);
      } else {
        // The decoder refuses this already; belt and braces [MQTT-3.1.0-1].
        ctx.close();
      }
      return;
    }
    if (refused) {
      return; // CONNACK with a refusal is on its way and the connection closes after it
    }
    if (session == null) {
      // CONNECT accepted but the session is still being handed over: nothing else may come yet.
      // A client that pipelines packets behind CONNECT gets them processed in order once attached.
      if (pending.size() >= MAX_PENDING) {
        log.debug("client {}: too many packets before CONNACK, closing", clientId);
        ctx.close();
        return;
      }
      if (pending.isEmpty()) {
        pending = new ArrayList<>(4);
      }
      pending.add(ReferenceCountUtil.retain(packet));
      return;
    }
    switch (packet.type()) {
      case PUBLISH -> onPublish((Publish) packet);
      case PUBACK -> expectKnown(session.onPubAck(((PubAck) packet).packetId()), packet);
      case PUBREC -> expectKnown(session.onPubRec(((PubRec) packet).packetId()), packet);
      case PUBCOMP -> expectKnown(session.onPubComp(((PubComp) packet).packetId()), packet);
      case PUBREL -> onPubRel((PubRel) packet);
      case SUBSCRIBE -> onSubscribe((Subscribe) packet);
      case UNSUBSCRIBE -> onUnsubscribe((Unsubscribe) packet);
      case PINGREQ -> write(PingResp.INSTANCE);
      case DISCONNECT -> {
        // The will is discarded on DISCONNECT [MQTT-3.14.4-3].
        willDone = true;
        will = null;
        ctx.close();
      }
      default -> {
        // A second CONNECT [MQTT-3.1.0-2], or a packet only a server sends.
        log.debug("client {}: unexpected {}, closing", clientId, packet.type());
        ctx.close();
      }
    }
  }

  /** Packets that came right behind CONNECT, before the session was attached. */
  private List<MqttPacket> pending = List.of();

  private static final int MAX_PENDING = 256;

  private void expectKnown(boolean known, MqttPacket ack) {
    if (!known) {
      // 3.1.1 has no answer for an acknowledgement of an unknown id; ignore it as most brokers do.
      log.debug("client {}: {} for an unknown packet id", clientId, ack.type());
    }
  }

  private void onConnect(Connect c) {
    connectSeen = true;
    timer.cancel(false);
    timer = null;
    version = c.version();
    if (version == MqttVersion.V5) {
      // The codec speaks 5.0, the broker not yet: refuse in the 5.0 format [MQTT-3.1.2-2].
      // TODO(#4): MQTT 5.0 sessions, properties and reason codes.
      refuse(ReasonCode.UNSUPPORTED_PROTOCOL_VERSION);
      return;
    }
    String id = c.clientId();
    if (id.isEmpty()) {
      if (!c.cleanStart()) {
        // An empty id needs clean session 1 [MQTT-3.1.3-8].
        refuse(ReasonCode.CLIENT_IDENTIFIER_NOT_VALID);
        return;
      }
      if (version == MqttVersion.V3_1) {
        refuse(ReasonCode.CLIENT_IDENTIFIER_NOT_VALID);
        return;
      }
      id = "auto-" + UUID.randomUUID();
    } else if (version == MqttVersion.V3_1 && id.length() > 23) {
      // MQTT 3.1 allows 1 to 23 characters.
      refuse(ReasonCode.CLIENT_IDENTIFIER_NOT_VALID);
      return;
    }
    if (broker.stats().clientsConnected.get() >= broker.config().limits().maxConnections()) {
      refuse(ReasonCode.SERVER_UNAVAILABLE);
      return;
    }
    String assignedId = id;
    // security: authentication runs off the event loop; the answer comes back on it.
    broker.security().login(c, id, ctx.channel(), login -> onLogin(c, assignedId, login));
  }

  /** CONNECT continues here once security has decided, on this event loop. */
  private void onLogin(Connect c, String id, Login login) {
    if (!login.isSuccess()) {
      refuse(login.reason());
      return;
    }
    if (!ctx.channel().isActive()) {
      return; // the client left while it was being authenticated
    }
    policy = login.policy();
    counted = true;
    broker.stats().connected();
    clientId = id;
    will = c.will();
    cleanSession = c.cleanStart();
    if (c.keepAliveSeconds() > 0) {
      // 1.5 times the keep-alive without a packet closes the connection [MQTT-3.1.2-24].
      keepAliveNanos = c.keepAliveSeconds() * 1_500_000_000L;
      lastPacketNanos = System.nanoTime();
      timer = ctx.executor().schedule(this::checkKeepAlive, keepAliveNanos, TimeUnit.NANOSECONDS);
    }
    broker.takeOver(id, this, cleanSession);
  }

  /**
   * Called by the broker on this connection's event loop once the session is ours: answers CONNACK
   * and sends what the session kept [MQTT-3.2.0-1].
   */
  public void onSessionReady(Session s, boolean sessionPresent) {
    if (!ctx.channel().isActive()) {
      // The client went away while its session was handed over.
      session = s;
      s.attach(this, !cleanSession);
      endConnection();
      return;
    }
    session = s;
    s.readFilter(policy.receiveFilter()); // security: the ACL applies to deliveries
    write(new ConnAck(sessionPresent, ReasonCode.SUCCESS, Properties.EMPTY));
    s.attach(this, !cleanSession);
    for (MqttPacket p : pending) {
      try {
        onPacket(p);
      } finally {
        ReferenceCountUtil.release(p);
      }
    }
    pending = List.of();
    broker.router().dispatch();
    ctx.flush();
  }

  private void refuse(ReasonCode reason) {
    willDone = true;
    refused = true;
    write(new ConnAck(false, reason, Properties.EMPTY));
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  private void onPublish(Publish p) {
    int maxLevels = broker.config().limits().maxTopicLevels();
    if (Levels.count(p.topic()) > maxLevels) {
      log.debug("client {}: topic with more than {} levels, closing", clientId, maxLevels);
      ctx.close();
      return;
    }
    broker.stats().publishReceived.increment();
    if (!withinPublishRate(p)) {
      return;
    }
    boolean route = true;
    ReasonCode ack = ReasonCode.SUCCESS;
    if (p.topic().startsWith("$")) {
      // Topics starting with $ are the broker's: drop the message, acknowledge it, count it.
      broker.stats().publishDroppedSys.increment();
      route = false;
    } else if (!policy.canPublish(p.topic())) {
      // security: 3.1.1 drops a denied PUBLISH silently (acknowledged, counted); 5.0 says 0x87.
      broker.stats().publishDenied.increment();
      route = false;
      ack = version() == MqttVersion.V5 ? ReasonCode.NOT_AUTHORIZED : ReasonCode.SUCCESS;
    }
    switch (p.qos()) {
      case AT_MOST_ONCE -> {
        if (route) {
          broker.router().publish(p.topic(), p.payload(), p.qos(), p.retained());
        }
      }
      case AT_LEAST_ONCE -> {
        if (route) {
          broker.router().publish(p.topic(), p.payload(), p.qos(), p.retained());
        }
        write(new PubAck(p.packetId(), ack, Properties.EMPTY));
      }
      case EXACTLY_ONCE -> {
        // Route on first receipt and remember the id until PUBREL, so that a resent PUBLISH
        // (DUP) is not routed twice [MQTT-4.3.3-2].
        if (session.inboundQos2().add(p.packetId()) && route) {
          broker.router().publish(p.topic(), p.payload(), p.qos(), p.retained());
        }
        write(new PubRec(p.packetId(), ack, Properties.EMPTY));
      }
    }
  }

  /**
   * security: applies {@code abuse.max_publish_rate} and {@code max_publish_bytes_rate}. Over the
   * rate, a throttled client is not read until it is back within it; otherwise the connection is
   * closed (5.0: DISCONNECT 0x96 first). Returns false when the packet is not to be processed.
   */
  private boolean withinPublishRate(Publish p) {
    long ahead = policy.publishAhead(p.topic().length() + p.payload().readableBytes());
    if (ahead == 0) {
      return true;
    }
    if (policy.rateAction() == io.starling.broker.config.AbuseLimits.RateAction.THROTTLE) {
      policy.throttle(ctx.channel(), ahead);
      return true;
    }
    broker.stats().abuseRefused.increment();
    log.debug("client {}: over its publish rate, closing", clientId);
    closeWith(ReasonCode.MESSAGE_RATE_TOO_HIGH);
    return false;
  }

  /** Closes the connection, telling a 5.0 client why first (3.1.1 has no way to). */
  private void closeWith(ReasonCode reason) {
    if (version() == MqttVersion.V5) {
      write(new Disconnect(reason, Properties.EMPTY));
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  private void onPubRel(PubRel rel) {
    session.inboundQos2().remove(rel.packetId());
    // PUBCOMP even for an unknown id, so the client can finish [MQTT-4.3.3-2].
    write(PubComp.of(rel.packetId()));
  }

  private void onSubscribe(Subscribe sub) {
    // security: the ACL and abuse.max_subscriptions may refuse some filters.
    List<ReasonCode> granted =
        policy.subscribe(
            sub.subscriptions(),
            session.subscriptions(),
            allowed -> broker.subscriptions().subscribe(session, allowed));
    write(new SubAck(sub.packetId(), granted, Properties.EMPTY));
    broker.subscriptions().sendRetained(session, sub.subscriptions(), granted);
  }

  private void onUnsubscribe(Unsubscribe u) {
    broker.subscriptions().unsubscribe(session, u.filters());
    // UNSUBACK even when nothing matched [MQTT-3.10.4-5].
    write(new UnsubAck(u.packetId(), List.of(), Properties.EMPTY));
  }

  /** Closes the connection at shutdown: no will is published. */
  public void closeForShutdown() {
    willDone = true;
    ctx.close();
  }
}
