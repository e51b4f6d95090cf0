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
import io.starling.broker.config.Protocol;
import io.starling.broker.routing.Backpressure;
import io.starling.broker.security.ClientPolicy;
import io.starling.broker.security.EnhancedAuthenticator;
import io.starling.broker.security.Login;
import io.starling.broker.security.Peer;
import io.starling.broker.session.Session;
import io.starling.broker.session.SessionConnection;
import io.starling.codec.MalformedPacketException;
import io.starling.codec.MqttVersion;
import io.starling.codec.PacketType;
import io.starling.codec.ReasonCode;
import io.starling.codec.netty.MqttDecoder;
import io.starling.codec.netty.MqttEncoder;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Property;
import io.starling.codec.packet.PropertyId;
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
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: the MQTT state machine from CONNECT to close, for 3.1, 3.1.1 and 5.0. One
 * instance per channel; every method runs on the channel's event loop, which also owns the attached
 * session. What the client may do once connected is in {@link ClientRequests}.
 */
public final class MqttConnection extends ChannelInboundHandlerAdapter
    implements SessionConnection {
  private static final Logger log = LoggerFactory.getLogger(MqttConnection.class);
  private static final int MAX_PENDING = 256;

  final BrokerContext broker;
  final Protocol protocol;
  private ChannelHandlerContext ctx;

  /** Before CONNECT the connect timeout, after it the keep-alive check. */
  private ScheduledFuture<?> timer;

  private long keepAliveNanos;
  private long lastPacketNanos;
  private MqttDecoder decoder;
  private Consumer<ByteBuf> writer;
  private final ClientRequests requests = new ClientRequests(this);

  private MqttVersion version;
  String clientId;
  Session session;
  Will will;
  private boolean connectSeen;
  private boolean counted;

  /** What CONNECT and the broker agreed on; null until CONNECT is accepted. */
  ConnectTerms terms;

  /** The session expiry in force; a 5.0 DISCONNECT may change it. */
  long sessionExpirySeconds;

  /** Topic aliases of a 5.0 connection, or null. */
  TopicAliases aliases;

  /** The CONNACK properties, from CONNECT until the session is ready. */
  private Properties connAckProperties = Properties.EMPTY;

  private boolean connAckSent;

  /** Refused, or closing after DISCONNECT: nothing the client sends is processed any more. */
  private boolean closing;

  /** The will is not to be published: DISCONNECT received, or shutdown. */
  boolean willDone;

  /** Enhanced authentication, when CONNECT named a method; null otherwise. */
  private AuthFlow auth;

  /** The CONNECT whose AUTH exchange is under way; null otherwise. */
  private Connect authenticating;

  /** The user name enhanced authentication established, or null. */
  String authenticatedUser;

  /** What this client may do; set once security let it in. */
  ClientPolicy policy;

  /** Pauses reading while the client is over its publish rate; null until first needed. */
  private ReadThrottle throttle;

  /** Packets that came right behind CONNECT, before the session was attached. */
  private List<MqttPacket> pending = List.of();

  /** PUBACK, PUBREC and PUBCOMP waiting for the store (persistence on); see {@link #writeAck}. */
  private List<MqttPacket> acks = List.of();

  public MqttConnection(BrokerContext broker) {
    this.broker = broker;
    this.protocol = broker.config().protocol();
  }

  // ---- SessionConnection --------------------------------------------------------------------

  /** The protocol version once CONNECT was read; 3.1.1 before, for refusals. */
  @Override
  public MqttVersion version() {
    return version == null ? MqttVersion.V3_1_1 : version;
  }

  /** What security needs to know of this connection: address, listener, certificate user. */
  private Peer peer() {
    return ConnectionAttributes.peerOf(ctx.channel());
  }

  /** This connection's publish-rate throttle, made on first use. */
  ReadThrottle throttle() {
    if (throttle == null) {
      throttle = new ReadThrottle(ctx.channel());
    }
    return throttle;
  }

  @Override
  public EventLoop eventLoop() {
    return ctx.channel().eventLoop();
  }

  @Override
  public void write(MqttPacket packet) {
    if (aliases != null && aliases.hasOutbound() && packet.type() == PacketType.PUBLISH) {
      packet = aliases.apply((Publish) packet);
    }
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
  public int receiveMaximum() {
    return terms == null ? 65535 : terms.receiveMaximum();
  }

  @Override
  public boolean fits(Publish p) {
    return terms == null
        || terms.maxPacketSize() == Long.MAX_VALUE
        || PacketEncoder.publishSize(p, version()) <= terms.maxPacketSize();
  }

  @Override
  public void closeForTakeover() {
    log.debug("client {} taken over by a new connection", clientId);
    // The old connection ends without DISCONNECT from its client, so its will is published
    // [MQTT-3.1.4-3]; a 5.0 client is told why with DISCONNECT 0x8E.
    disconnect(ReasonCode.SESSION_TAKEN_OVER, null);
    endConnection();
  }

  /** Closes the connection at shutdown, telling a 5.0 client why; no will is published. */
  @Override
  public void closeForShutdown() {
    willDone = true;
    disconnect(ReasonCode.SERVER_SHUTTING_DOWN, null);
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
    var security = broker.security();
    InetAddress address = Peer.inetAddressOf(ctx.channel().remoteAddress());
    if (!security.admit(address)) { // per-address connection limits
      ctx.close();
      return;
    }
    if (security.countsConnectionsPerAddress()) {
      ctx.channel().closeFuture().addListener(f -> security.closed(address));
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
    flushAcks();
    ctx.flush();
    if (congested != null) {
      pause(congested);
    }
    if (broker.security().isMemoryHigh()) { // the global memory high-water mark
      ReadThrottle.pauseWhileMemoryHigh(ctx.channel(), broker.security()::isMemoryHigh);
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
   * [MQTT-3.1.2-22]; otherwise checks again when that time would be up. One timer per connection,
   * rescheduled at most once per keep-alive period, instead of an idle-state handler.
   */
  private void checkKeepAlive() {
    long idle = System.nanoTime() - lastPacketNanos;
    if (idle >= keepAliveNanos) {
      log.debug("client {}: keep-alive expired", clientId);
      timer = null;
      disconnect(ReasonCode.KEEP_ALIVE_TIMEOUT, "no packet within 1.5 times the keep-alive");
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
    ReasonCode reason = bad.reasonCode();
    if (!connectSeen && bad.isConnect()) {
      if (reason == ReasonCode.UNSUPPORTED_PROTOCOL_VERSION) {
        // A level we do not speak gets CONNACK 0x01 in the 3.1.1 format, then close
        // [MQTT-3.1.2-2].
        refuse(reason, null);
        return;
      }
      if (bad.version() == MqttVersion.V5) {
        // A 5.0 CONNECT that breaks the rules may be answered with CONNACK and a reason code
        // [MQTT-4.13.1-1].
        version = MqttVersion.V5;
        refuse(reason.isAllowedIn(PacketType.CONNACK) ? reason : ReasonCode.MALFORMED_PACKET, null);
        return;
      }
    }
    disconnect(reason, bad.getMessage());
  }

  /**
   * Ends the connection because of something the client did (or the broker must do): a 5.0 client
   * that has had its CONNACK first gets DISCONNECT with the reason [MQTT-3.14.2-1], earlier
   * versions are just closed [MQTT-4.13.1-1]. The will is published unless already discarded.
   */
  void disconnect(ReasonCode reason, String why) {
    if (closing && !ctx.channel().isActive()) {
      return;
    }
    closing = true;
    if (version() == MqttVersion.V5 && connAckSent && ctx.channel().isActive()) {
      ReasonCode code =
          reason.isAllowedIn(PacketType.DISCONNECT) ? reason : ReasonCode.UNSPECIFIED_ERROR;
      write(new Disconnect(code, reasonString(why)));
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  /**
   * A Reason String property, left out when the client's maximum packet size is so small that it
   * might not fit [MQTT-3.14.2-3] [MQTT-3.2.2-19].
   */
  Properties reasonString(String why) {
    if (why == null || (terms != null && terms.maxPacketSize() < 512)) {
      return Properties.EMPTY;
    }
    String text = why.length() > 200 ? why.substring(0, 200) : why;
    return Properties.builder().add(PropertyId.REASON_STRING, text).build();
  }

  /** What happens whenever the connection ends, however it ends. Runs once. */
  private void endConnection() {
    if (counted) {
      counted = false;
      broker.stats().disconnected();
    }
    if (session == null || session.connection() != this) {
      return;
    }
    Session s = session;
    session = null;
    Will w = willDone ? null : will;
    willDone = true;
    will = null;
    if (w != null && policy != null && !policy.canPublish(w.topic())) {
      broker.stats().publishDenied.increment(); // a will may not go where the ACL forbids
      w = null;
    }
    s.detach();
    broker.lifecycle().disconnected(s, sessionExpirySeconds, w);
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
    if (closing) {
      return; // refused or disconnecting: nothing more is processed [MQTT-3.1.4-6]
    }
    if (authenticating != null) {
      if (packet.type() == PacketType.AUTH) {
        onAuth((Auth) packet);
      } else {
        // Only AUTH may come before CONNACK, and no DISCONNECT may precede it [MQTT-3.14.0-1].
        log.debug("client {}: {} during authentication, closing", clientId, packet.type());
        closing = true;
        ctx.close();
      }
      return;
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
      case PUBLISH -> requests.onPublish((Publish) packet);
      case PUBACK -> expectKnown(session.onPubAck(((PubAck) packet).packetId()), packet);
      case PUBREC -> {
        PubRec rec = (PubRec) packet;
        expectKnown(session.onPubRec(rec.packetId(), !rec.reasonCode().isError()), packet);
      }
      case PUBCOMP -> expectKnown(session.onPubComp(((PubComp) packet).packetId()), packet);
      case PUBREL -> requests.onPubRel((PubRel) packet);
      case SUBSCRIBE -> requests.onSubscribe((Subscribe) packet);
      case UNSUBSCRIBE -> requests.onUnsubscribe((Unsubscribe) packet);
      case PINGREQ -> write(PingResp.INSTANCE);
      case DISCONNECT -> onDisconnect((Disconnect) packet);
      case AUTH -> onAuth((Auth) packet);
      default -> {
        // A second CONNECT [MQTT-3.1.0-2], or a packet only a server sends.
        disconnect(ReasonCode.PROTOCOL_ERROR, "unexpected " + packet.type());
      }
    }
  }

  private void expectKnown(boolean known, MqttPacket ack) {
    if (!known) {
      // There is no answer to an acknowledgement of an unknown id; ignore it as most brokers do.
      log.debug("client {}: {} for an unknown packet id", clientId, ack.type());
    }
  }

  private void onConnect(Connect c) {
    connectSeen = true;
    timer.cancel(false);
    timer = null;
    version = c.version();
    ReasonCode refusal = ConnectChecks.refusal(c, protocol);
    if (refusal != null) {
      refuse(refusal, ConnectChecks.refusalProperties(refusal, protocol));
      return;
    }
    String method =
        version == MqttVersion.V5
            ? c.properties().stringValue(PropertyId.AUTHENTICATION_METHOD).orElse(null)
            : null;
    if (method == null) {
      accept(c, Properties.EMPTY);
      return;
    }
    EnhancedAuthenticator authenticator = broker.enhancedAuthenticator(method);
    if (authenticator == null) {
      refuse(ReasonCode.BAD_AUTHENTICATION_METHOD, null); // [MQTT-4.12.0-1]
      return;
    }
    auth = new AuthFlow(authenticator);
    authenticating = c;
    onConnectAuthStep(auth.start(c.properties(), false));
  }

  /** One step of the AUTH exchange between CONNECT and CONNACK (section 4.12). */
  private void onConnectAuthStep(EnhancedAuthenticator.Step step) {
    switch (step.outcome()) {
      case CONTINUE -> {
        write(auth.toClient(step)); // [MQTT-4.12.0-2]
        ctx.flush();
        if (timer == null) {
          // The exchange has as long as CONNECT had to arrive.
          timer =
              ctx.executor()
                  .schedule(
                      () -> {
                        if (authenticating != null) {
                          ctx.close();
                        }
                      },
                      broker.config().limits().connectTimeoutSeconds(),
                      TimeUnit.SECONDS);
        }
      }
      case SUCCESS -> {
        auth.finish();
        Connect c = authenticating;
        authenticating = null;
        authenticatedUser = step.username();
        if (timer != null) {
          timer.cancel(false);
          timer = null;
        }
        accept(c, auth.properties(step)); // [MQTT-4.12.0-5]
      }
      case FAILURE -> {
        auth.finish();
        authenticating = null;
        refuse(ReasonCode.NOT_AUTHORIZED, null); // [MQTT-4.12.0-4]
      }
    }
  }

  /** Goes on with a CONNECT that passed its checks (and its enhanced authentication, if any). */
  private void accept(Connect c, Properties authProperties) {
    String id = c.clientId();
    String assigned = null;
    if (id.isEmpty()) {
      // The broker picks a unique identifier [MQTT-3.1.3-6] and, in 5.0, says which
      // [MQTT-3.2.2-16].
      id = "auto-" + UUID.randomUUID();
      assigned = c.version() == MqttVersion.V5 ? id : null;
    }
    if (broker.stats().clientsConnected.get() >= broker.config().limits().maxConnections()) {
      refuse(ReasonCode.SERVER_UNAVAILABLE, null);
      return;
    }
    String chosenId = id;
    String assignedId = assigned;
    // Authentication runs off the event loop; the answer comes back on it.
    Consumer<Login> then = login -> onLogin(c, chosenId, assignedId, authProperties, login);
    if (authenticatedUser != null) {
      broker.security().loginAuthenticated(authenticatedUser, id, peer().inetAddress(), then);
    } else {
      var config = ctx.channel().config();
      broker
          .security()
          .login(
              c,
              id,
              peer(),
              ctx.executor(),
              () -> config.setAutoRead(false),
              login -> {
                config.setAutoRead(true);
                then.accept(login);
              });
    }
  }

  /** CONNECT continues here once security has decided, on this event loop. */
  private void onLogin(
      Connect c, String id, String assigned, Properties authProperties, Login login) {
    if (!login.isSuccess()) {
      refuse(login.reason(), null);
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
    terms = ConnectTerms.of(c, protocol);
    sessionExpirySeconds = terms.sessionExpirySeconds();
    if (version == MqttVersion.V5) {
      int max = broker.config().limits().maxPacketSizeBytes();
      connAckProperties = terms.connAckProperties(c, protocol, assigned, max);
      if (!authProperties.isEmpty()) {
        List<Property> all = new ArrayList<>(connAckProperties.entries());
        all.addAll(authProperties.entries());
        connAckProperties = Properties.of(all);
      }
      if (protocol.topicAliasMaximum() > 0 || terms.topicAliasMaximum() > 0) {
        aliases = new TopicAliases(protocol.topicAliasMaximum(), terms.topicAliasMaximum());
      }
    }
    if (terms.keepAliveSeconds() > 0) {
      // 1.5 times the keep-alive without a packet closes the connection [MQTT-3.1.2-22].
      keepAliveNanos = terms.keepAliveSeconds() * 1_500_000_000L;
      lastPacketNanos = System.nanoTime();
      timer = ctx.executor().schedule(this::checkKeepAlive, keepAliveNanos, TimeUnit.NANOSECONDS);
    }
    broker.lifecycle().takeOver(id, this, c.cleanStart());
  }

  /**
   * Called on this connection's event loop once the session is ours: answers CONNACK and sends what
   * the session kept [MQTT-3.2.0-1].
   */
  public void onSessionReady(Session s, boolean sessionPresent) {
    session = s;
    s.readFilter(policy.receiveFilter()); // the ACL applies to deliveries
    if (!ctx.channel().isActive()) {
      // The client went away while its session was handed over.
      s.attach(this, sessionExpirySeconds);
      endConnection();
      return;
    }
    write(new ConnAck(sessionPresent, ReasonCode.SUCCESS, connAckProperties));
    connAckSent = true;
    connAckProperties = Properties.EMPTY;
    s.attach(this, sessionExpirySeconds);
    for (MqttPacket p : pending) {
      try {
        onPacket(p);
      } finally {
        ReferenceCountUtil.release(p);
      }
    }
    pending = List.of();
    broker.router().dispatch();
    flushAcks();
    ctx.flush();
  }

  // ---- acknowledgements and the store (#5) ---------------------------------------------------

  /**
   * Writes an acknowledgement of a client's PUBLISH or PUBREL. With persistence on it goes out only
   * once the effects of this read batch (stored copies, retained updates, inbound QoS 2 state) are
   * durable; {@link #flushAcks} hands the batch's acknowledgements to the store.
   */
  void writeAck(MqttPacket ack) {
    if (broker.persistence() == null) {
      write(ack);
      return;
    }
    if (acks.isEmpty()) {
      acks = new ArrayList<>(8);
    }
    acks.add(ack);
  }

  private void flushAcks() {
    if (acks.isEmpty()) {
      return;
    }
    List<MqttPacket> ready = acks;
    acks = List.of();
    EventLoop loop = ctx.channel().eventLoop();
    broker
        .persistence()
        .afterWrites(
            () ->
                loop.execute(
                    () -> {
                      if (ctx.channel().isActive()) {
                        ready.forEach(this::write);
                        ctx.flush();
                      }
                    }));
  }

  private void refuse(ReasonCode reason, Properties properties) {
    willDone = true;
    closing = true;
    write(new ConnAck(false, reason, properties == null ? Properties.EMPTY : properties));
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  private void onDisconnect(Disconnect d) {
    if (version == MqttVersion.V5) {
      OptionalLong expiry = d.properties().longValue(PropertyId.SESSION_EXPIRY_INTERVAL);
      if (expiry.isPresent()) {
        if (sessionExpirySeconds == 0 && expiry.getAsLong() != 0) {
          // A session that was to end with the connection cannot be kept now (section 3.14.2.2.2).
          disconnect(ReasonCode.PROTOCOL_ERROR, "session expiry changed from 0 on DISCONNECT");
          return;
        }
        sessionExpirySeconds = Math.min(expiry.getAsLong(), protocol.maxSessionExpirySeconds());
      }
    }
    // The will is discarded on a normal DISCONNECT [MQTT-3.14.4-3]; 0x04 asks for it.
    if (d.reasonCode() != ReasonCode.DISCONNECT_WITH_WILL) {
      willDone = true;
      will = null;
    }
    closing = true;
    ctx.close();
  }

  /**
   * AUTH: continues the exchange between CONNECT and CONNACK, or re-authenticates a connected
   * client (section 4.12.1). Without a method in CONNECT it is a protocol error [MQTT-4.12.0-7].
   */
  private void onAuth(Auth a) {
    if (auth == null) {
      disconnect(ReasonCode.PROTOCOL_ERROR, "AUTH without an authentication method in CONNECT");
      return;
    }
    String problem = auth.problem(a);
    if (problem != null) {
      disconnect(ReasonCode.PROTOCOL_ERROR, problem);
      return;
    }
    if (authenticating != null) {
      onConnectAuthStep(auth.next(a));
      return;
    }
    EnhancedAuthenticator.Step step =
        a.reasonCode() == ReasonCode.REAUTHENTICATE
            ? auth.start(a.properties(), true)
            : auth.next(a);
    switch (step.outcome()) {
      case CONTINUE -> write(auth.toClient(step));
      case SUCCESS -> {
        auth.finish();
        authenticatedUser = step.username();
        write(auth.toClient(step));
      }
      case FAILURE -> {
        auth.finish();
        disconnect(ReasonCode.NOT_AUTHORIZED, "re-authentication failed"); // [MQTT-4.12.1-2]
      }
    }
  }
}
