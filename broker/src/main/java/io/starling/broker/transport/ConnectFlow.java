package io.starling.broker.transport;

import io.netty.channel.ChannelHandlerContext;
import io.starling.broker.config.Protocol;
import io.starling.broker.extension.Hooks;
import io.starling.broker.logging.LogText;
import io.starling.broker.security.EnhancedAuthenticator;
import io.starling.broker.security.Login;
import io.starling.broker.session.Session;
import io.starling.broker.session.SessionConnection;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.MalformedPacketException;
import io.starling.codec.MqttVersion;
import io.starling.codec.PacketType;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Property;
import io.starling.codec.packet.PropertyId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a client gets in, from its first packet to CONNACK: the checks of CONNECT, the enhanced
 * authentication exchange (5.0 section 4.12) and later re-authentication, the connection's place
 * under {@code limits.max_connections}, the login (off the event loop when an authenticator runs)
 * and the session takeover; or the refusal with CONNACK and a reason code.
 *
 * <pre>
 *   CONNECT -> checks -> [AUTH ... AUTH] -> place reserved -> login -> takeover -> CONNACK
 *                 \-----------\-----------------\--------------\--> CONNACK refusal, close
 * </pre>
 *
 * Once the login succeeds it fills in the {@link ConnectionState} and starts the keep-alive. One
 * instance per connection; runs on the channel's event loop only, including where security answers
 * a login.
 */
@EventLoopOnly
final class ConnectFlow {
  private static final Logger log = LoggerFactory.getLogger(ConnectFlow.class);

  private final ConnectionState state;
  private final KeepAlive timer;
  private final SessionConnection connection;
  private final ChannelHandlerContext ctx;
  private final Protocol protocol;

  private boolean connectSeen;

  /** The Maximum Packet Size the client asked for in CONNECT (5.0), or no limit. */
  private long clientMaxPacketSize = Long.MAX_VALUE;

  /** Whether this connection holds a place under {@code limits.max_connections}. */
  private boolean counted;

  /** Enhanced authentication, when CONNECT named a method; null otherwise. */
  private AuthFlow auth;

  /** The CONNECT whose AUTH exchange is under way; null otherwise. */
  private Connect authenticating;

  /** The user name enhanced authentication established, or null. */
  private String authenticatedUser;

  /**
   * Ends the watch on the login's credentials ({@code ClientPolicy.onRevoked}) when the connection
   * ends; null before the login.
   */
  private Runnable forgetLogin;

  /** The CONNACK properties, from the login until the session is ready. */
  private Properties connAckProperties = Properties.EMPTY;

  /**
   * @param connection the connection that takes the session over (the handler {@code state} belongs
   *     to)
   */
  ConnectFlow(ConnectionState state, KeepAlive timer, SessionConnection connection) {
    this.state = state;
    this.timer = timer;
    this.connection = connection;
    this.ctx = state.ctx();
    this.protocol = state.protocol();
  }

  /** A socket that sends no CONNECT in time is closed [MQTT-3.1.4-1 and section 3.1]. */
  void awaitConnect() {
    timer.armTimeout(
        connectTimeoutSeconds(),
        () -> {
          if (!connectSeen) {
            CloseLog.closed(state, "no CONNECT within limits.connect_timeout_seconds");
            ctx.close();
          }
        });
  }

  boolean isConnectSeen() {
    return connectSeen;
  }

  /** The connection's first packet: a CONNECT, or the connection closes. */
  void onFirstPacket(MqttPacket packet) {
    if (packet instanceof Connect c) {
      onConnect(c);
    } else {
      // The decoder refuses this already; belt and braces [MQTT-3.1.0-1].
      CloseLog.closed(state, "the first packet is not CONNECT");
      ctx.close();
    }
  }

  /** Whether an AUTH exchange between CONNECT and CONNACK is under way. */
  boolean isAuthenticating() {
    return authenticating != null;
  }

  /** A packet that came while {@link #isAuthenticating}: only AUTH may [MQTT-3.14.0-1]. */
  void onPacketWhileAuthenticating(MqttPacket packet) {
    if (packet.type() == PacketType.AUTH) {
      onAuth((Auth) packet);
    } else {
      // Only AUTH may come before CONNACK, and no DISCONNECT may precede it [MQTT-3.14.0-1].
      CloseLog.closed(state, packet.type() + " during the authentication exchange");
      state.closeNow();
    }
  }

  /**
   * Answers a malformed CONNECT with a CONNACK refusal where the spec asks for one; returns false,
   * doing nothing, for any other malformed packet.
   */
  boolean refusedMalformedConnect(MalformedPacketException bad) {
    if (connectSeen || !bad.isConnect()) {
      return false;
    }
    ReasonCode reason = bad.reasonCode();
    if (reason == ReasonCode.UNSUPPORTED_PROTOCOL_VERSION) {
      // A level we do not speak gets CONNACK 0x01 in the 3.1.1 format, then close [MQTT-3.1.2-2].
      refuse(reason, null);
      return true;
    }
    if (bad.version() == MqttVersion.V5) {
      // A 5.0 CONNECT that breaks the rules may be answered with CONNACK and a reason code
      // [MQTT-4.13.1-1].
      state.writer().useVersion(MqttVersion.V5);
      refuse(
          null,
          reason.isAllowedIn(PacketType.CONNACK) ? reason : ReasonCode.MALFORMED_PACKET,
          null,
          bad.getMessage());
      return true;
    }
    return false;
  }

  private void onConnect(Connect c) {
    connectSeen = true;
    clientMaxPacketSize =
        c.properties().longValue(PropertyId.MAXIMUM_PACKET_SIZE).orElse(Long.MAX_VALUE);
    state.writer().useMaxPacketSize(clientMaxPacketSize); // CONNACK is held to it too
    timer.cancel();
    state.writer().useVersion(c.version());
    ReasonCode refusal =
        ConnectChecks.refusal(c, protocol, state.broker().config().limits().maxTopicLevels());
    if (refusal != null) {
      refuse(
          c.clientId(),
          refusal,
          ConnectChecks.refusalProperties(refusal, protocol),
          ConnectChecks.why(refusal));
      return;
    }
    String method =
        state.isV5()
            ? c.properties().stringValue(PropertyId.AUTHENTICATION_METHOD).orElse(null)
            : null;
    if (method == null) {
      accept(c, Properties.EMPTY);
      return;
    }
    EnhancedAuthenticator authenticator = state.broker().enhancedAuthenticator(method);
    if (authenticator == null) {
      refuse(
          c.clientId(),
          ReasonCode.BAD_AUTHENTICATION_METHOD,
          null,
          "authentication method not supported: " + LogText.untrusted(method)); // [MQTT-4.12.0-1]
      return;
    }
    auth =
        new AuthFlow(
            authenticator,
            state.broker().security(),
            ConnectionAttributes.peerOf(ctx.channel()).inetAddress());
    authenticating = c;
    onConnectAuthStep(auth.start(c.properties(), false));
  }

  /** One step of the AUTH exchange between CONNECT and CONNACK (section 4.12). */
  private void onConnectAuthStep(EnhancedAuthenticator.Step step) {
    switch (step.outcome()) {
      case CONTINUE -> {
        state.writer().write(auth.toClient(step)); // [MQTT-4.12.0-2]
        state.writer().flush();
        if (!timer.isArmed()) {
          // The exchange has as long as CONNECT had to arrive.
          timer.armTimeout(connectTimeoutSeconds(), this::closeIfStillAuthenticating);
        }
      }
      case SUCCESS -> {
        auth.finish();
        Connect c = authenticating;
        authenticating = null;
        authenticatedUser = step.username();
        timer.cancel();
        accept(c, auth.properties(step)); // [MQTT-4.12.0-5]
      }
      case FAILURE -> {
        auth.finish();
        String id = authenticating.clientId();
        authenticating = null;
        refuse(id, auth.failureReason(), null, "authentication failed"); // [MQTT-4.12.0-4]
      }
    }
  }

  private void closeIfStillAuthenticating() {
    if (authenticating != null) {
      CloseLog.closed(state, "the authentication exchange took longer than the connect timeout");
      ctx.close();
    }
  }

  private long connectTimeoutSeconds() {
    return state.broker().config().limits().connectTimeoutSeconds();
  }

  /**
   * AUTH: continues the exchange between CONNECT and CONNACK, or re-authenticates a connected
   * client (section 4.12.1). Without a method in CONNECT it is a protocol error [MQTT-4.12.0-7].
   */
  void onAuth(Auth a) {
    if (auth == null) {
      state.disconnect(
          ReasonCode.PROTOCOL_ERROR, "AUTH without an authentication method in CONNECT");
      return;
    }
    String problem = auth.problem(a);
    if (problem != null && authenticating != null) {
      // No DISCONNECT before CONNACK [MQTT-3.14.0-1]: the exchange is refused [MQTT-4.12.0-4].
      auth.finish();
      String id = authenticating.clientId();
      authenticating = null;
      refuse(id, ReasonCode.PROTOCOL_ERROR, null, problem);
    } else if (problem != null) {
      state.disconnect(ReasonCode.PROTOCOL_ERROR, problem);
    } else if (authenticating != null) {
      onConnectAuthStep(auth.next(a));
    } else {
      onReauthenticationStep(
          a.reasonCode() == ReasonCode.REAUTHENTICATE
              ? auth.start(a.properties(), true)
              : auth.next(a));
    }
  }

  /** One step of a re-authentication; its failure ends the connection [MQTT-4.12.1-2]. */
  private void onReauthenticationStep(EnhancedAuthenticator.Step step) {
    switch (step.outcome()) {
      case CONTINUE -> state.writer().write(auth.toClient(step));
      case SUCCESS -> {
        auth.finish();
        authenticatedUser = step.username();
        state.writer().write(auth.toClient(step));
      }
      case FAILURE -> {
        auth.finish();
        state.disconnect(auth.failureReason(), "re-authentication failed");
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
    // The place is taken now, atomically, and given back when the connection ends, however it
    // ends: two CONNECTs on two loops cannot both take the last one.
    if (!state.broker().stats().tryConnect(state.broker().config().limits().maxConnections())) {
      refuse(
          c.clientId(),
          ReasonCode.SERVER_UNAVAILABLE,
          null,
          "the broker is at limits.max_connections");
      return;
    }
    counted = true;
    String chosenId = id;
    String assignedId = assigned;
    login(c, id, login -> onLogin(c, chosenId, assignedId, authProperties, login));
  }

  /** Asks security whether the client may in; {@code then} runs on this event loop. */
  private void login(Connect c, String id, Consumer<Login> then) {
    var security = state.broker().security();
    var peer = ConnectionAttributes.peerOf(ctx.channel());
    if (authenticatedUser != null) {
      security.loginAuthenticated(auth.method(), authenticatedUser, id, peer.inetAddress(), then);
      return;
    }
    // Authentication runs off the event loop; reading pauses meanwhile, and the answer comes back
    // on the loop.
    var config = ctx.channel().config();
    security.login(
        c,
        id,
        peer,
        ctx.executor(),
        () -> config.setAutoRead(false),
        login -> {
          ReadThrottle throttle = state.throttleIfAny();
          if (throttle == null || !throttle.isPaused()) {
            config.setAutoRead(true); // the login's pause ends, not another reason's
          }
          then.accept(login);
        });
  }

  /** CONNECT continues here once security has decided, on this event loop. */
  private void onLogin(
      Connect c, String id, String assigned, Properties authProperties, Login login) {
    if (!login.isSuccess()) {
      refuse(
          c.clientId(),
          login.reason(),
          null,
          login.reason().description().toLowerCase(Locale.ROOT));
      return;
    }
    if (!ctx.channel().isActive()) {
      return; // the client left while it was being authenticated
    }
    ReasonCode willRefusal = ConnectChecks.willRefusal(c.will(), login.policy());
    if (willRefusal != null) {
      state.broker().stats().publishDenied.increment();
      refuse(c.clientId(), willRefusal, null, "the will topic may not be published to");
      return;
    }
    ConnectTerms terms = ConnectTerms.of(c, protocol);
    TopicAliases aliases = null;
    if (state.isV5()) {
      connAckProperties = connAckProperties(c, terms, assigned, authProperties);
      if (protocol.topicAliasMaximum() > 0 || terms.topicAliasMaximum() > 0) {
        aliases = new TopicAliases(protocol.topicAliasMaximum(), terms.topicAliasMaximum());
      }
    }
    state.loggedIn(id, login.policy(), terms, c.will(), aliases);
    // Credentials that stop being valid end the connection: a user deleted from the password
    // file (DISCONNECT 0x87), an expired token (0xA0, maximum connect time); 3.1.1 is just closed.
    // Forgotten in connectionEnded, which every end of the connection runs (a field, not a close
    // listener: one object less on every idle connection).
    forgetLogin =
        login
            .policy()
            .onRevoked(ctx.executor(), reason -> state.disconnect(reason, "credentials revoked"));
    timer.start(terms.keepAliveSeconds(), this::keepAliveExpired);
    state
        .broker()
        .lifecycle()
        .takeOver(
            id,
            connection,
            c.cleanStart(),
            SessionOwners.of(login.policy().identity()),
            reason -> // over limits.max_sessions, or another user's
            refuse(
                    id,
                    reason,
                    null,
                    reason == ReasonCode.NOT_AUTHORIZED
                        ? "not authorized for this client identifier"
                        : "the broker is at limits.max_sessions"));
  }

  /** The CONNACK properties of an accepted 5.0 connection, with those of enhanced auth. */
  private Properties connAckProperties(
      Connect c, ConnectTerms terms, String assigned, Properties authProperties) {
    int max = state.broker().config().limits().maxPacketSizeBytes();
    Properties props = terms.connAckProperties(c, protocol, assigned, max);
    if (authProperties.isEmpty()) {
      return props;
    }
    List<Property> all = new ArrayList<>(props.entries());
    all.addAll(authProperties.entries());
    return Properties.of(all);
  }

  /** 1.5 times the keep-alive went by without a packet [MQTT-3.1.2-22]; the will is published. */
  private void keepAliveExpired() {
    log.debug("client {}: keep-alive expired", LogText.untrusted(state.clientId()));
    state.disconnect(ReasonCode.KEEP_ALIVE_TIMEOUT, "no packet within 1.5 times the keep-alive");
  }

  /**
   * The session is this connection's now: answers CONNACK [MQTT-3.2.0-1] and attaches the session,
   * which sends what it kept. Returns false when the client went away meanwhile: the session is
   * attached all the same, for the caller to end the connection in order.
   */
  boolean onSessionReady(Session s, boolean sessionPresent) {
    state.useSession(s); // the session has its owner's read check (the takeover set it)
    if (!ctx.channel().isActive()) {
      s.attach(connection, state.sessionExpirySeconds());
      return false;
    }
    Hooks hooks = state.broker().hooks();
    if (hooks.hasLifecycle()) {
      String user = state.policy().username();
      var address = ctx.channel().remoteAddress();
      hooks.lifecycle(l -> l.onConnected(state.clientId(), user, state.version(), address));
    }
    state.writer().write(new ConnAck(sessionPresent, ReasonCode.SUCCESS, connAckProperties));
    state.connAckSent();
    connAckProperties = Properties.EMPTY;
    s.attach(connection, state.sessionExpirySeconds());
    return true;
  }

  /** Refuses the CONNECT with CONNACK {@code reason}, then closes; no will is published. */
  private void refuse(ReasonCode reason, Properties properties) {
    refuse(null, reason, properties, null);
  }

  /**
   * Refuses the CONNECT with CONNACK {@code reason} and, for a 5.0 client, a Reason String saying
   * {@code why} (never the peer's bytes; left out when the client's Maximum Packet Size is under
   * 512 bytes, so that it always fits [MQTT-3.2.2-19]), then closes; no will is published. The
   * refusal is logged with {@code clientId}, the CONNECT's (null when it could not be read).
   */
  private void refuse(String clientId, ReasonCode reason, Properties properties, String why) {
    CloseLog.refused(state, clientId, reason, why);
    state.discardWill();
    Properties props = properties == null ? Properties.EMPTY : properties;
    if (why != null && state.isV5() && clientMaxPacketSize >= 512) {
      List<Property> all = new ArrayList<>(props.entries());
      all.add(
          new Property(PropertyId.REASON_STRING, why.length() > 200 ? why.substring(0, 200) : why));
      props = Properties.of(all);
    }
    state.endWith(new ConnAck(false, reason, props));
  }

  /**
   * The connection ended: gives its place under {@code limits.max_connections} back and stops
   * watching its credentials, once.
   */
  void connectionEnded() {
    if (forgetLogin != null) {
      forgetLogin.run();
      forgetLogin = null;
    }
    if (counted) {
      counted = false;
      state.broker().stats().disconnected();
    }
  }
}
