package io.starling.broker.security;

import io.starling.broker.config.AbuseLimits;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.SecurityConfig;
import io.starling.broker.config.TlsConfig.CertificateUsername;
import io.starling.broker.logging.LogText;
import io.starling.broker.logging.RateLimitedLog;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.security.internal.ConnectionGuard;
import io.starling.broker.security.internal.FileWatch;
import io.starling.broker.security.internal.MemoryGuard;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Connect;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's security facade: the connection gate, the authenticator chain, the ACL and the abuse
 * limits. Connections call it at a few points ({@link #admit} when accepted, {@link #login} at
 * CONNECT, {@link ClientPolicy} for each PUBLISH, SUBSCRIBE and delivery, {@link #isMemoryHigh}
 * after each read batch). Thread-safe: authenticators run on a bounded executor, files are re-read
 * on a scheduler thread, never on an event loop.
 */
public final class Security implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Security.class);

  /**
   * Refused logins: what a client decides to repeat, so at most 20 lines a second (the rest
   * counted), with the names it sent escaped and cut short.
   */
  private static final RateLimitedLog refusals = new RateLimitedLog(log, 20, 1);

  private final SecurityConfig config;
  private final AbuseLimits abuse;
  private final BrokerStats stats;
  private final AuthenticatorChain chain;
  private final ScheduledThreadPoolExecutor scheduler;
  private final ConnectionGuard guard;
  private final MemoryGuard memory;
  private final LiveLogins live;

  /** The password file each enhanced method reads, by method name: SCRAM over the first one. */
  private final Map<String, FileAuthenticator> enhancedFiles = new LinkedHashMap<>();

  private volatile Acl acl;

  /**
   * The one policy all anonymous clients share when it holds no per-client state (no ACL file, no
   * publish rate limits), or null.
   */
  private final Login sharedPolicy;

  private Security(BrokerConfig broker, BrokerStats stats) throws IOException {
    this.config = broker.security();
    this.abuse = broker.abuse();
    this.stats = stats;
    this.acl = config.aclFile() == null ? Acl.ALLOW_ALL : loadAcl(config.aclFile());
    this.scheduler = new ScheduledThreadPoolExecutor(1, daemon("starling-security"));
    this.chain = AuthenticatorChain.create(config, scheduler, daemon("starling-auth"));
    this.guard = new ConnectionGuard(abuse, System::nanoTime);
    this.memory = MemoryGuard.forThisJvm(abuse.memoryHighWatermarkPercent());
    this.live = new LiveLogins(scheduler);
    for (Authenticator a : chain.authenticators()) {
      if (a instanceof FileAuthenticator f) {
        enhancedFiles.putIfAbsent(ScramSha512Authenticator.METHOD, f);
      }
    }
    boolean stateless =
        config.aclFile() == null && abuse.maxPublishRate() == 0 && abuse.maxPublishBytesRate() == 0;
    this.sharedPolicy =
        stateless
            ? new Login(
                ReasonCode.SUCCESS, new ClientPolicy(this, null, null, null, null, null, abuse))
            : null;
    scheduler.setRemoveOnCancelPolicy(true);
    warnOfUnprovableUserRules(broker);
  }

  /**
   * An ACL with rules about user names where nothing proves a user name (no authenticator, no
   * listener taking names from client certificates): the names clients claim are dropped, so those
   * rules apply to nobody. Said once at start, naming the lines.
   */
  private void warnOfUnprovableUserRules(BrokerConfig broker) {
    boolean certificates =
        broker.listeners().stream()
            .anyMatch(
                l -> l.tls() != null && l.tls().certificateUsername() != CertificateUsername.NONE);
    List<String> lines = acl.rulesNamingUsers();
    if (chain.isEmpty() && !certificates && !lines.isEmpty()) {
      log.warn(
          "security.acl_file: the rules at {} are about user names, but no authenticator or client"
              + " certificate proves one: every client is anonymous, and they apply to nobody",
          String.join(", ", lines));
    }
  }

  /**
   * Loads the authenticators and files named in the configuration and starts the helper threads.
   *
   * @throws IOException if a file cannot be read or an authenticator cannot start; the message
   *     names the file or the authenticator
   */
  public static Security start(BrokerConfig config, BrokerStats stats) throws IOException {
    Security s = new Security(config, stats);
    s.schedule();
    return s;
  }

  /** Holds the security of a broker without security settings, made on first use. */
  private static final class Open {
    static final Security INSTANCE;

    static {
      try {
        INSTANCE = new Security(BrokerConfig.defaults(), new BrokerStats());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * The security of a broker without security settings (anonymous clients allowed, no ACL, no
   * helper threads running), for test doubles of the broker.
   */
  public static Security open() {
    return Open.INSTANCE;
  }

  private void schedule() {
    if (abuse.memoryHighWatermarkPercent() > 0) {
      scheduler.scheduleWithFixedDelay(memory::sample, 100, 100, TimeUnit.MILLISECONDS);
    }
    scheduler.scheduleWithFixedDelay(guard::sweep, 10, 10, TimeUnit.SECONDS);
    int every = config.reloadIntervalSeconds();
    if (every > 0) {
      FileWatch passwords = new FileWatch(config.passwordFile());
      FileWatch acls = new FileWatch(config.aclFile());
      scheduler.scheduleWithFixedDelay(
          () -> reloadIfChanged(passwords, acls), every, every, TimeUnit.SECONDS);
    }
  }

  private static Acl loadAcl(java.nio.file.Path file) throws IOException {
    try {
      return Acl.load(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IOException("security.acl_file: " + file + " does not exist", e);
    } catch (IOException e) {
      throw new IOException("security.acl_file: " + e.getMessage(), e);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * The enhanced authentication methods the configured authenticators offer to MQTT 5.0 clients:
   * SCRAM-SHA-512 over the password file when the {@code file} authenticator is in the chain.
   */
  public List<EnhancedAuthenticator> enhancedAuthenticators() {
    List<EnhancedAuthenticator> out = new ArrayList<>();
    enhancedFiles.values().forEach(f -> out.add(new ScramSha512Authenticator(f::passwords)));
    return out;
  }

  // ---- the connection gate ------------------------------------------------------------------

  /**
   * Counts a newly accepted connection from {@code address} against the per-address limits; false
   * means it must be closed at once (nothing has been read from it). A connection admitted while
   * {@link #countsConnectionsPerAddress} must be reported {@link #closed} when it ends. On the
   * connection's event loop.
   *
   * @param address the client's IP address, or {@code null} (never limited)
   */
  public boolean admit(InetAddress address) {
    if (address == null
        || abuse.maxConnectionsPerAddress() == 0 && abuse.maxConnectionRatePerAddress() == 0) {
      return true;
    }
    if (!guard.admit(address)) {
      stats.abuseRefused.increment();
      log.debug("{}: over the per-address connection limits, closing", address);
      return false;
    }
    return true;
  }

  /** Whether connections open per address are counted ({@link #closed} must be called). */
  public boolean countsConnectionsPerAddress() {
    return abuse.maxConnectionsPerAddress() > 0;
  }

  /** A connection {@link #admit admitted} from {@code address} ended. Any thread. */
  public void closed(InetAddress address) {
    if (address != null) {
      guard.closed(address);
    }
  }

  /** Whether reading from sockets should pause: memory is over the high-water mark. Any thread. */
  public boolean isMemoryHigh() {
    return memory.isHigh();
  }

  // ---- authentication -----------------------------------------------------------------------

  /**
   * Decides whether a CONNECT may go on. {@code then} is called on {@code loop} with the outcome:
   * at once when no authenticator needs to run (or one answers from memory, such as a cached
   * password check); otherwise {@code pauseReading} runs first (nothing the client sends before
   * CONNACK can be processed, so packets piled up behind a slow login must not take memory) and
   * {@code then} later, from the authentication executor through {@code loop}. Called on the
   * connection's event loop.
   *
   * <p>The user name the client gets is one that was proved: by an authenticator, or by a verified
   * client certificate. Without either, the CONNECT user name is dropped and the client is
   * anonymous (if anonymous clients are let in), so that nobody can claim another user's
   * permissions. A client id counts against the flapping limit only once the login succeeded.
   *
   * @param clientId the client id the session will have (generated if CONNECT had none)
   */
  public void login(
      Connect connect,
      String clientId,
      Peer peer,
      Executor loop,
      Runnable pauseReading,
      Consumer<Login> then) {
    InetAddress address = peer.inetAddress();
    if (address != null && guard.isLoginBlocked(address)) {
      then.accept(blocked(clientId, address));
      return;
    }
    String certificateUser = peer.certificateUsername();
    if (certificateUser != null) {
      then.accept(admitted(certificateUser, null, null, clientId, address));
      return;
    }
    boolean anonymous = connect.username() == null && connect.password() == null;
    if (anonymous || chain.isEmpty()) {
      Boolean listener = peer.allowAnonymous();
      if (listener != null ? listener : config.anonymousAllowed()) {
        if (connect.username() != null) {
          log.debug(
              "client {} from {}: its user name is dropped, nothing proves it", clientId, address);
        }
        then.accept(admitted(null, null, null, clientId, address));
      } else {
        then.accept(failed(ReasonCode.NOT_AUTHORIZED, connect.username(), clientId, address));
      }
      return;
    }
    AuthRequest request =
        new AuthRequest(
            clientId,
            connect.username(),
            connect.password() == null ? null : connect.password().toByteArray(),
            peer.remoteAddress(),
            peer.listenerName(),
            connect.version());
    AuthenticatorChain.Decision quick = chain.quick(request);
    if (quick != null) {
      then.accept(decide(quick, connect.username(), clientId, address));
      return;
    }
    if (address != null) {
      switch (guard.beginAttempt(address, config.authQueuePerAddress())) {
        case BLOCKED -> {
          then.accept(blocked(clientId, address));
          return;
        }
        case BUSY -> {
          stats.abuseRefused.increment();
          log.debug(
              "login of client {} from {} refused: too many waiting",
              LogText.untrusted(clientId),
              address);
          then.accept(new Login(ReasonCode.SERVER_BUSY, null));
          return;
        }
        case QUEUED -> {
          // goes on below; endAttempt when it leaves the threads
        }
      }
    }
    pauseReading.run();
    chain.runAsync(
        request,
        d -> decide(d, connect.username(), clientId, address),
        () -> {
          if (address != null) {
            guard.endAttempt(address);
          }
        },
        l -> loop.execute(() -> then.accept(l)));
  }

  /** The refusal of every login from an address over its failed-login limit, right or wrong. */
  private Login blocked(String clientId, InetAddress address) {
    stats.abuseRefused.increment();
    refusals.info(
        "login refused for client {} from {}: too many failed logins",
        LogText.untrusted(clientId),
        address);
    return new Login(ReasonCode.CONNECTION_RATE_EXCEEDED, null);
  }

  /**
   * Lets in a client that MQTT 5.0 enhanced authentication with {@code method} already
   * authenticated as {@code user}: only the abuse checks of {@link #login} apply, and the ACL of
   * that user. {@code then} is called at once, on the event loop.
   */
  public void loginAuthenticated(
      String method, String user, String clientId, InetAddress address, Consumer<Login> then) {
    if (address != null && guard.isLoginBlocked(address)) {
      then.accept(blocked(clientId, address));
      return;
    }
    then.accept(admitted(user, null, enhancedFiles.get(method), clientId, address));
  }

  /**
   * Whether logins from {@code address} are refused for now (too many failed ones): enhanced
   * authentication answers every step from it with {@link ReasonCode#CONNECTION_RATE_EXCEEDED}, as
   * {@link #login} does, whether the credentials are right or wrong. Any thread.
   */
  public boolean isLoginBlocked(InetAddress address) {
    return address != null && guard.isLoginBlocked(address);
  }

  /**
   * An enhanced authentication exchange (or re-authentication) from {@code address} failed: it
   * counts as a failed login, as a wrong password does. Any thread.
   */
  public void enhancedAuthFailed(String method, String user, InetAddress address) {
    stats.loginsFailed.increment();
    if (address != null) {
      guard.loginFailed(address);
    }
    refusals.info(
        "{} authentication failed for user {} from {}",
        LogText.untrusted(method),
        LogText.untrusted(user),
        address);
  }

  /** The login an authenticator's decision means. */
  private Login decide(
      AuthenticatorChain.Decision d, String username, String clientId, InetAddress address) {
    AuthResult r = d.result();
    if (r == null) {
      return failed(ReasonCode.BAD_USER_NAME_OR_PASSWORD, username, clientId, address);
    }
    return switch (r.outcome()) {
      case ALLOW ->
          admitted(
              r.username(), r, d.by() instanceof FileAuthenticator f ? f : null, clientId, address);
      case NOT_AUTHORIZED -> failed(ReasonCode.NOT_AUTHORIZED, username, clientId, address);
      case BAD_CREDENTIALS, CONTINUE ->
          failed(ReasonCode.BAD_USER_NAME_OR_PASSWORD, username, clientId, address);
    };
  }

  /**
   * A logged-in connection of {@code user} (null: anonymous) with {@code clientId} ended other than
   * by the client's DISCONNECT: it counts towards the flapping limit ({@code abuse.flap_*}). Any
   * thread.
   */
  public void connectionEndedAbnormally(String user, String clientId) {
    guard.endedAbnormally(user, clientId);
  }

  /**
   * A client that passed authentication as {@code user} (null: anonymous), unless its client id is
   * cooling off after flapping ({@link #connectionEndedAbnormally}): only logins that got this far
   * are held to it, and per user, so that nobody can lock someone else's client id out.
   *
   * @param result the authenticator's answer (its grants and expiry), or null
   * @param passwordFile the password file that vouched for the user, or null
   */
  private Login admitted(
      String user,
      AuthResult result,
      FileAuthenticator passwordFile,
      String clientId,
      InetAddress address) {
    if (guard.isFlapping(user, clientId)) {
      stats.abuseRefused.increment();
      refusals.info(
          "login refused for client {} from {}: reconnecting too often",
          LogText.untrusted(clientId),
          address);
      return new Login(ReasonCode.CONNECTION_RATE_EXCEEDED, null);
    }
    AuthResult.TopicGrants grants = result == null ? null : result.grants();
    Instant expiresAt = result == null ? null : result.expiresAt();
    if (user == null && grants == null && expiresAt == null && sharedPolicy != null) {
      return sharedPolicy; // nothing per client to remember: save the memory on idle connections
    }
    return new Login(
        ReasonCode.SUCCESS,
        new ClientPolicy(this, user, clientId, grants, passwordFile, expiresAt, abuse));
  }

  private Login failed(ReasonCode reason, String user, String clientId, InetAddress address) {
    stats.loginsFailed.increment();
    if (address != null) {
      guard.loginFailed(address);
    }
    // Never the password: only who tried, from where, and why it failed.
    refusals.info(
        "login failed for client {} user {} from {}: {}",
        LogText.untrusted(clientId),
        LogText.untrusted(user),
        address,
        reason.description());
    return new Login(reason, null);
  }

  // ---- files --------------------------------------------------------------------------------

  private void reloadIfChanged(FileWatch passwords, FileWatch acls) {
    if (passwords.changed()) {
      chain.reload();
      live.passwordsReloaded();
    }
    if (acls.changed()) {
      try {
        acl = Acl.load(config.aclFile());
        log.info("ACL file {} reloaded", config.aclFile());
      } catch (IOException | RuntimeException e) {
        log.error("ACL file reload failed, keeping the old rules: {}", e.getMessage());
      }
    }
  }

  Acl acl() {
    return acl;
  }

  LiveLogins liveLogins() {
    return live;
  }

  AbuseLimits abuse() {
    return abuse;
  }

  BrokerStats stats() {
    return stats;
  }

  /** Stops the helper threads and closes the authenticators. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    chain.close();
  }
}
