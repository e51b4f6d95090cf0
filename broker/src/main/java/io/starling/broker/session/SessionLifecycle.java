package io.starling.broker.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.Protocol;
import io.starling.broker.config.TlsConfig;
import io.starling.broker.extension.Hooks;
import io.starling.broker.logging.LogText;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.Message;
import io.starling.broker.routing.Router;
import io.starling.broker.threading.AnyThread;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.Will;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where sessions begin and end: a CONNECT taking a session over, a connection ending (delayed
 * wills, session expiry, shared messages handed to other members), a session ending. Thread-safe;
 * work on a session runs on its owner loop.
 */
public final class SessionLifecycle {
  private static final Logger log = LoggerFactory.getLogger(SessionLifecycle.class);

  /** Who may take over a session that a client of another user created. */
  public enum Takeover {
    /**
     * Any client with its client identifier: without authentication a user name is only what the
     * client claims, so it tells nothing about who created the session.
     */
    BY_ANYONE,
    /** Only a client authenticated as the owner's user; another is refused as not authorized. */
    BY_OWNER_ONLY;

    /**
     * The rule of a configuration: the owner's only when authentication is on (an authenticator, or
     * a listener taking user names from client certificates) and {@code
     * security.allow_takeover_by_other_user} is off.
     */
    public static Takeover of(BrokerConfig config) {
      boolean authenticates =
          !config.security().authenticators().isEmpty()
              || config.listeners().stream()
                  .anyMatch(
                      l ->
                          l.tls() != null
                              && l.tls().certificateUsername()
                                  != TlsConfig.CertificateUsername.NONE);
      return authenticates && !config.security().allowTakeoverByOtherUser()
          ? BY_OWNER_ONLY
          : BY_ANYONE;
    }
  }

  private final SessionRegistry sessions;
  private final Router router;
  private final Subscriptions subscriptions;
  private final BrokerStats stats;
  private final BooleanSupplier shuttingDown;
  private final Takeover takeover;

  /** A lifecycle where any client may take over any session (no authentication). */
  public SessionLifecycle(
      SessionRegistry sessions,
      Router router,
      Subscriptions subscriptions,
      BrokerStats stats,
      BooleanSupplier shuttingDown) {
    this(sessions, router, subscriptions, stats, shuttingDown, Takeover.BY_ANYONE);
  }

  public SessionLifecycle(
      SessionRegistry sessions,
      Router router,
      Subscriptions subscriptions,
      BrokerStats stats,
      BooleanSupplier shuttingDown,
      Takeover takeover) {
    this.sessions = sessions;
    this.router = router;
    this.subscriptions = subscriptions;
    this.stats = stats;
    this.shuttingDown = shuttingDown;
    this.takeover = takeover;
  }

  /**
   * Finds or creates the session of {@code clientId} and hands it to {@code connection}, whose
   * client is {@code who}, ending any connection that holds it now [MQTT-3.1.4-2]; calls {@link
   * SessionConnection#onSessionReady} on the connection's event loop when done. {@code who} becomes
   * the session's owner, and what the session sends from now on passes its read check.
   *
   * <p>Or refuses the CONNECT, calling {@code refuse} on the connection's event loop with the
   * reason (the session, and any connection holding it, unchanged): {@link
   * ReasonCode#QUOTA_EXCEEDED} when a new session would be one over {@code limits.max_sessions}
   * (3.1.1 return code 3); {@link ReasonCode#NOT_AUTHORIZED} when the session belongs to another
   * user and the rule is {@link Takeover#BY_OWNER_ONLY} (3.1.1 return code 5). A CONNECT that fails
   * the server's authorization checks is answered with a CONNACK refusal and the connection closed
   * (3.1.4; 5.0 [MQTT-3.1.4-2]).
   */
  @AnyThread
  public void takeOver(
      String clientId,
      SessionConnection connection,
      boolean cleanStart,
      SessionOwner who,
      Consumer<ReasonCode> refuse) {
    Session s = sessions.getOrCreateWithinLimit(clientId, connection.eventLoop());
    if (s == null) {
      log.debug("client {}: refused, limits.max_sessions reached", LogText.untrusted(clientId));
      onLoopOf(connection, () -> refuse.accept(ReasonCode.QUOTA_EXCEEDED));
      return;
    }
    s.execute(
        () -> {
          if (s.isDestroyed()) {
            takeOver(clientId, connection, cleanStart, who, refuse); // a fresh one will be made
            return;
          }
          if (!mayTakeOver(s, who)) {
            // Checked before the connection holding the session is touched: a refused client
            // neither ends it nor learns anything of the session.
            stats.takeoversRefused.increment();
            log.debug(
                "client {}: refused, its session belongs to another user",
                LogText.untrusted(clientId));
            onLoopOf(connection, () -> refuse.accept(ReasonCode.NOT_AUTHORIZED));
            return;
          }
          SessionConnection old = s.connection();
          if (old != null) {
            old.closeForTakeover(); // publishes or delays its will; may end the session
            if (s.isDestroyed()) {
              takeOver(clientId, connection, cleanStart, who, refuse);
              return;
            }
          }
          // The owner's read check applies from here on, to what is queued, on disk and in
          // flight too: it is checked again when each is sent.
          s.own(who, sessions.readCheck(who, clientId));
          boolean present = !cleanStart && s.hasState();
          if (s.generation() == 0 && !s.hasState()) {
            hooks().lifecycle(l -> l.onSessionCreated(clientId));
          }
          if (cleanStart) {
            // A clean start ends the old session: a will waiting for its delay goes out now
            // [MQTT-3.1.3-9], and the new session starts empty [MQTT-3.1.2-4].
            publishWill(s.takePendingWill(), s);
            subscriptions.unsubscribeAll(s);
            s.clearMessages();
          } else {
            // The client came back in time: its delayed will is not sent [MQTT-3.1.3-9].
            s.takePendingWill();
          }
          s.moveTo(connection.eventLoop());
          connection.eventLoop().execute(() -> connection.onSessionReady(s, present));
        });
  }

  /**
   * The connection attached to {@code s} ended. On the session's owner loop.
   *
   * @param expirySeconds the session expiry interval in force: 0 ends the session now, {@link
   *     Protocol#NEVER_EXPIRES} never
   * @param will the will to publish, or {@code null} (DISCONNECT received, or none)
   */
  @EventLoopOnly
  public void disconnected(Session s, long expirySeconds, Will will) {
    s.storage().recordDisconnected(expirySeconds);
    // Messages of shared subscriptions not yet acknowledged may go to another member.
    s.takeShared((group, m) -> router.reroute(group, m, s));
    router.dispatch();
    if (will != null) {
      long delay = will.properties().longValue(PropertyId.WILL_DELAY_INTERVAL).orElse(0);
      if (delay == 0 || expirySeconds == 0) {
        publishWill(will, s);
      } else {
        // Published when the delay passes or the session ends, whichever is first [MQTT-3.1.3-9].
        delayWill(s, will, Math.min(delay, expirySeconds));
      }
    }
    if (expirySeconds == 0) {
      end(s);
    } else if (expirySeconds != Protocol.NEVER_EXPIRES) {
      expireAfter(s, expirySeconds);
    }
  }

  /**
   * Publishes the offline session's will in {@code seconds} unless a connection attaches first (or
   * the session ends, which publishes it at once). On the session's owner loop (or at start-up, for
   * wills restored from the store).
   */
  @EventLoopOnly
  public void delayWill(Session s, Will will, long seconds) {
    int generation = s.generation();
    s.timers()
        .setPendingWill(
            will,
            s.owner()
                .schedule(
                    () ->
                        s.execute(
                            () -> {
                              if (s.generation() == generation) {
                                publishWill(s.takePendingWill(), s);
                              }
                            }),
                    seconds,
                    TimeUnit.SECONDS));
    s.storage().recordPendingWill(will, seconds);
  }

  /**
   * Ends the offline session {@code s} in {@code seconds} unless a connection attaches first. On
   * the session's owner loop (or at start-up, for sessions restored from the store).
   */
  @EventLoopOnly
  public void expireAfter(Session s, long seconds) {
    int generation = s.generation();
    s.timers()
        .setExpiryTimer(
            s.owner()
                .schedule(
                    () ->
                        s.execute(
                            () -> {
                              if (s.generation() == generation && !s.isConnected()) {
                                stats.sessionsExpired.increment();
                                end(s);
                              }
                            }),
                    seconds,
                    TimeUnit.SECONDS));
  }

  /**
   * Ends a session for good: a will still waiting is published, then its subscriptions, queue and
   * registry entry go. On the session's owner loop.
   */
  @EventLoopOnly
  public void end(Session s) {
    if (s.isDestroyed()) {
      return;
    }
    publishWill(s.takePendingWill(), s);
    sessions.remove(s);
    subscriptions.unsubscribeAll(s);
    s.destroy();
    hooks().lifecycle(l -> l.onSessionEnded(s.clientId()));
  }

  /**
   * Whether {@code who} may take {@code s}: the rule allows anyone, nobody owns it yet (new, or
   * restored from a store written before sessions had owners: the first client adopts it), or it is
   * the owner's user.
   */
  private boolean mayTakeOver(Session s, SessionOwner who) {
    SessionOwner owner = s.sessionOwner();
    return takeover == Takeover.BY_ANYONE || owner == null || owner.isSameUser(who);
  }

  private static void onLoopOf(SessionConnection connection, Runnable task) {
    if (connection.eventLoop().inEventLoop()) {
      task.run();
    } else {
      connection.eventLoop().execute(task);
    }
  }

  private Hooks hooks() {
    return sessions.hooks();
  }

  /** Publishes a will as an application message [MQTT-3.1.2-8], unless the broker is stopping. */
  @AnyThread
  public void publishWill(Will w, Session origin) {
    if (w == null || shuttingDown.getAsBoolean()) {
      return;
    }
    if (w.topic().startsWith("$")) {
      // A will cannot do what a PUBLISH may not: topics starting with $ are the broker's.
      stats.publishDroppedSys.increment();
      return;
    }
    ByteBuf payload = Unpooled.wrappedBuffer(w.payload().toByteArray());
    router.publish(
        Message.of(
            w.topic(),
            payload,
            w.qos(),
            w.retain(),
            w.properties(),
            origin == null ? null : origin.clientId(),
            System.nanoTime()));
    router.dispatch();
    payload.release();
  }
}
