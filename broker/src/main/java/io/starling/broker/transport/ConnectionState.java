package io.starling.broker.transport;

import io.netty.channel.ChannelHandlerContext;
import io.starling.broker.config.Protocol;
import io.starling.broker.security.ClientPolicy;
import io.starling.broker.session.Session;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.MqttVersion;
import io.starling.codec.PacketType;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.Will;

/**
 * What the parts of one connection share: {@link MqttConnection} (the channel events and packet
 * dispatch), {@link ConnectFlow} (CONNECT, AUTH, login) and {@link ClientRequests} (what a
 * connected client asks). It holds what was agreed at CONNECT (client id, terms, policy, topic
 * aliases, session expiry, will), the attached session, the packet writer and acknowledgement
 * batcher, the read throttle and outbound-buffer watch (both made on first use), and how the
 * connection ends ({@link #disconnect}). {@link ConnectFlow} fills it in when the login succeeds;
 * until then the client id, terms and policy are null.
 *
 * <p>One instance per connection, made when its handler is added; runs on the channel's event loop
 * only, and takes no lock.
 */
@EventLoopOnly
final class ConnectionState {
  private final BrokerContext broker;
  private final Protocol protocol;
  private final ChannelHandlerContext ctx;
  private final PacketWriter writer;
  private final AckBatcher acks;

  /** Pauses reading (publish rate, congestion, memory, full outbound buffer); null until needed. */
  private ReadThrottle throttle;

  /** Watches the outbound buffer once it was first over its high-water mark; null until then. */
  private WriteBacklog backlog;

  private String clientId;

  /** What CONNECT and the broker agreed on; null until the login succeeded. */
  private ConnectTerms terms;

  /** What this client may do; set once security let it in. */
  private ClientPolicy policy;

  /** Topic aliases of a 5.0 connection, or null. */
  private TopicAliases aliases;

  /** The session expiry in force; a 5.0 DISCONNECT may change it. */
  private long sessionExpirySeconds;

  private Will will;

  /** The will is not to be published: DISCONNECT received, refused, or shutdown. */
  private boolean willDone;

  /** The session, from when it is ready until the connection ends; null otherwise. */
  private Session session;

  private boolean connAckSent;

  /** Refused, or closing after DISCONNECT: nothing the client sends is processed any more. */
  private boolean closing;

  /** The client sent DISCONNECT (for the lifecycle listeners). */
  private boolean disconnectedByClient;

  ConnectionState(BrokerContext broker, ChannelHandlerContext ctx) {
    this.broker = broker;
    this.protocol = broker.config().protocol();
    this.ctx = ctx;
    this.writer = new PacketWriter(ctx, broker.stats());
    this.acks = AckBatcher.of(writer, ctx.channel(), broker.persistence());
  }

  BrokerContext broker() {
    return broker;
  }

  /** The broker's protocol settings, which CONNECT is negotiated against. */
  Protocol protocol() {
    return protocol;
  }

  ChannelHandlerContext ctx() {
    return ctx;
  }

  PacketWriter writer() {
    return writer;
  }

  /** Where acknowledgements of the client's PUBLISH and PUBREL go (see {@link AckBatcher}). */
  AckBatcher acks() {
    return acks;
  }

  /** The protocol version once CONNECT was read; 3.1.1 before, for refusals. */
  MqttVersion version() {
    return writer.version();
  }

  boolean isV5() {
    return writer.version() == MqttVersion.V5;
  }

  /** This connection's read throttle, made on first use. */
  ReadThrottle throttle() {
    if (throttle == null) {
      throttle = new ReadThrottle(ctx.channel());
    }
    return throttle;
  }

  /** The read throttle if one was made, otherwise null. */
  ReadThrottle throttleIfAny() {
    return throttle;
  }

  /** This connection's outbound-buffer watch, made on first use. */
  WriteBacklog backlog() {
    if (backlog == null) {
      backlog = new WriteBacklog(this);
    }
    return backlog;
  }

  /** The outbound-buffer watch if one was made, otherwise null. */
  WriteBacklog backlogIfAny() {
    return backlog;
  }

  // ---- what CONNECT agreed ------------------------------------------------------------------

  /**
   * Records what the accepted CONNECT and the login agreed on; the session expiry starts as the
   * terms say, and outbound PUBLISH packets get aliases from {@code aliases} (null for none).
   */
  void loggedIn(
      String clientId, ClientPolicy policy, ConnectTerms terms, Will will, TopicAliases aliases) {
    this.clientId = clientId;
    this.policy = policy;
    this.terms = terms;
    this.will = will;
    this.aliases = aliases;
    this.sessionExpirySeconds = terms.sessionExpirySeconds();
    writer.useTerms(aliases, terms.maxPacketSize());
  }

  /** The client identifier (possibly one the broker chose); null until the login succeeded. */
  String clientId() {
    return clientId;
  }

  ConnectTerms terms() {
    return terms;
  }

  ClientPolicy policy() {
    return policy;
  }

  TopicAliases aliases() {
    return aliases;
  }

  long sessionExpirySeconds() {
    return sessionExpirySeconds;
  }

  /** A 5.0 DISCONNECT set another session expiry (section 3.14.2.2.2). */
  void changeSessionExpiry(long seconds) {
    sessionExpirySeconds = seconds;
  }

  /** The will is not to be published, whatever happens next. */
  void discardWill() {
    willDone = true;
    will = null;
  }

  /** The will to publish now that the connection ends, or null; returns it only once. */
  Will takeWill() {
    Will w = willDone ? null : will;
    discardWill();
    return w;
  }

  // ---- the session --------------------------------------------------------------------------

  /** The attached session; null before CONNACK and after the connection ended. */
  Session session() {
    return session;
  }

  void useSession(Session s) {
    session = s;
  }

  void dropSession() {
    session = null;
  }

  /** CONNACK went out: from now on a 5.0 client is told why its connection ends. */
  void connAckSent() {
    connAckSent = true;
  }

  // ---- how the connection ends --------------------------------------------------------------

  /** Whether the connection was refused or is closing: nothing more is processed. */
  boolean isClosing() {
    return closing;
  }

  /** The client sent DISCONNECT: the connection ends at its request. */
  void disconnectedByClient() {
    disconnectedByClient = true;
  }

  /** Whether the client ended the connection with DISCONNECT. */
  boolean isDisconnectedByClient() {
    return disconnectedByClient;
  }

  /** Closes at once, without a word to the client. */
  void closeNow() {
    closing = true;
    ctx.close();
  }

  /** Sends {@code last} and everything written before it, then closes. */
  void endWith(MqttPacket last) {
    closing = true;
    writer.write(last);
    writer.flushAndClose();
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
    if (!closing) {
      CloseLog.closed(this, reason, why); // once, and not after the client's DISCONNECT
    }
    closing = true;
    if (isV5() && connAckSent && ctx.channel().isActive()) {
      ReasonCode code =
          reason.isAllowedIn(PacketType.DISCONNECT) ? reason : ReasonCode.UNSPECIFIED_ERROR;
      endWith(new Disconnect(code, reasonString(why)));
    } else {
      ctx.close();
    }
  }

  /**
   * A Reason String property, left out when the client's maximum packet size is so small that it
   * might not fit [MQTT-3.14.2-3] [MQTT-3.2.2-19].
   */
  private Properties reasonString(String why) {
    if (why == null || (terms != null && terms.maxPacketSize() < 512)) {
      return Properties.EMPTY;
    }
    String text = why.length() > 200 ? why.substring(0, 200) : why;
    return Properties.builder().add(PropertyId.REASON_STRING, text).build();
  }
}
