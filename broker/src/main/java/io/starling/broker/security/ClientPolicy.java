package io.starling.broker.security;

import io.starling.broker.config.AbuseLimits;
import io.starling.broker.security.AuthResult.TopicGrants;
import io.starling.broker.security.internal.RateLimiter;
import io.starling.codec.ReasonCode;
import io.starling.codec.Topics;
import io.starling.codec.packet.Subscription;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What one connected client may do: its topic permissions (from the ACL file or its token's grants)
 * and its publish rate. Made at CONNECT.
 *
 * <p>Threading: a policy made for one client is used on that connection's event loop only, so its
 * caches are plain maps. The one policy all anonymous clients share when there is no ACL file and
 * no publish rate limit ({@link Security}) is used from every loop: it never writes a field (every
 * permission answer comes from the allow-all branch before the caches, and it has no rate limiter),
 * so sharing it is safe. Pausing a throttled client is the transport's business.
 *
 * <p>{@link #onRevoked} is the one exception to "one loop": the transport registers there, on the
 * connection's loop, how to end the connection, and security calls it from its scheduler thread
 * when the credentials stop being valid (see {@link LiveLogins}); what it touches is thread-safe.
 *
 * <p>Each permission answer is cached by topic (up to {@value #CACHE_SIZE} topics; the cache starts
 * over when full or when the ACL file is reloaded), so the publish and delivery paths cost a map
 * lookup.
 */
public final class ClientPolicy {
  private static final int CACHE_SIZE = 512;

  private final Security security;
  private final String username;
  private final String clientId;
  private final TopicGrants grants;

  /** The password file that vouched for the user (it must keep them), or null. */
  private final FileAuthenticator passwordFile;

  /** When the credentials expire, or null for never. */
  private final Instant expiresAt;

  private final RateLimiter messages;
  private final RateLimiter bytes;
  // Made on first use: most brokers run without an ACL, and idle connections should cost little.
  private Map<String, Boolean> writable;
  private Map<String, Boolean> readable;
  private Acl cachedFor;

  ClientPolicy(
      Security security,
      String username,
      String clientId,
      TopicGrants grants,
      FileAuthenticator passwordFile,
      Instant expiresAt,
      AbuseLimits limits) {
    this.security = security;
    this.username = username;
    this.clientId = clientId;
    this.grants = grants;
    this.passwordFile = username == null ? null : passwordFile;
    this.expiresAt = expiresAt;
    this.messages = limits.maxPublishRate() > 0 ? new RateLimiter(limits.maxPublishRate()) : null;
    this.bytes =
        limits.maxPublishBytesRate() > 0 ? new RateLimiter(limits.maxPublishBytesRate()) : null;
  }

  /** The user name the client is authorised as, or {@code null} for an anonymous client. */
  public String username() {
    return username;
  }

  String clientId() {
    return clientId;
  }

  FileAuthenticator passwordFile() {
    return passwordFile;
  }

  Instant expiresAt() {
    return expiresAt;
  }

  /**
   * Registers how to end this client's connection if its credentials stop being valid while it is
   * open: its user is no longer in the reloaded password file ({@code end} gets {@link
   * ReasonCode#NOT_AUTHORIZED}), or its token expired ({@link ReasonCode#MAXIMUM_CONNECT_TIME}).
   * Call it once the login is accepted, on the connection's event loop; {@code end} runs on {@code
   * loop}, at most once. Returns what to run (on any thread) when the connection ends, so that
   * security forgets it.
   */
  public Runnable onRevoked(Executor loop, Consumer<ReasonCode> end) {
    return security.liveLogins().watch(this, loop, end);
  }

  /** Who the client is for its permissions: its user name and its credentials' grants. */
  public Identity identity() {
    return new Identity(username, grants);
  }

  /** Whether the client may publish to {@code topic}. */
  public boolean canPublish(String topic) {
    return cached(topic, Acl.Access.WRITE);
  }

  /** Whether a message on {@code topic} may be delivered to the client. */
  public boolean canReceive(String topic) {
    return cached(topic, Acl.Access.READ);
  }

  /**
   * The refusal for a subscription to {@code filter}, or {@code null} if it is allowed: not
   * authorised by the ACL, or over {@code abuse.max_subscriptions} given the {@code held} ones.
   * 3.1.1 has only 0x80 (the encoder writes any failure as 0x80); 5.0 gets 0x87 or 0x97.
   */
  public ReasonCode refuseSubscription(String filter, int held, boolean alreadyHeld) {
    if (!allowsSubscribe(filter)) {
      security.stats().subscribeDenied.increment();
      return ReasonCode.NOT_AUTHORIZED;
    }
    int max = security.abuse().maxSubscriptions();
    if (max > 0 && !alreadyHeld && held >= max) {
      return ReasonCode.QUOTA_EXCEEDED;
    }
    return null;
  }

  /**
   * Subscribes to the allowed filters of {@code requested} through {@code subscriber} and returns
   * one SUBACK code per requested filter, in order: the subscriber's code, or the refusal.
   *
   * @param held the filters the session holds now
   */
  public List<ReasonCode> subscribe(
      List<Subscription> requested,
      Map<String, ?> held,
      Function<List<Subscription>, List<ReasonCode>> subscriber) {
    ReasonCode[] refused = new ReasonCode[requested.size()];
    List<Subscription> allowed = new ArrayList<>(requested.size());
    int count = held.size();
    for (int i = 0; i < refused.length; i++) {
      Subscription s = requested.get(i);
      boolean already = held.containsKey(s.filter());
      refused[i] = refuseSubscription(s.filter(), count, already);
      if (refused[i] == null) {
        allowed.add(s);
        count += already ? 0 : 1;
      }
    }
    if (allowed.size() == requested.size()) {
      return subscriber.apply(requested);
    }
    List<ReasonCode> granted = allowed.isEmpty() ? List.of() : subscriber.apply(allowed);
    List<ReasonCode> out = new ArrayList<>(refused.length);
    int next = 0;
    for (ReasonCode r : refused) {
      out.add(r != null ? r : granted.get(next++));
    }
    return out;
  }

  /**
   * The check for deliveries to this client's session, or {@code null} when everything may be
   * delivered (no ACL file and no token grants), to keep the delivery path free.
   */
  public Predicate<String> receiveFilter() {
    if (grants == null && security.acl() == Acl.ALLOW_ALL) {
      return null;
    }
    return this::canReceive;
  }

  private boolean allowsSubscribe(String filter) {
    if (grants == null && security.acl() == Acl.ALLOW_ALL) {
      return true;
    }
    if (grants != null) {
      String plain = Acl.withoutSharePrefix(filter);
      if (plain.startsWith("$SYS/") || plain.equals("$SYS")) {
        return true;
      }
      return grants.subscribe().stream().anyMatch(g -> Acl.covers(g, plain));
    }
    return security.acl().allowsSubscribe(username, clientId, filter);
  }

  /**
   * Accounts for a PUBLISH of {@code size} bytes and returns how many nanoseconds the client is
   * ahead of its allowed rate (0 when within it, always 0 without a rate limit).
   */
  public long publishAhead(int size) {
    long now = System.nanoTime();
    long ahead = 0;
    if (messages != null) {
      ahead = messages.acquire(1, now);
    }
    if (bytes != null) {
      ahead = Math.max(ahead, bytes.acquire(size, now));
    }
    return ahead;
  }

  /** What happens when {@link #publishAhead} is positive. */
  public AbuseLimits.RateAction rateAction() {
    return security.abuse().publishRateAction();
  }

  private boolean cached(String topic, Acl.Access access) {
    Acl acl = security.acl();
    if (grants == null && acl == Acl.ALLOW_ALL) {
      return access == Acl.Access.READ || !topic.startsWith("$");
    }
    if (cachedFor != acl || writable == null) {
      writable = new HashMap<>();
      readable = new HashMap<>();
      cachedFor = acl;
    }
    Map<String, Boolean> cache = access == Acl.Access.WRITE ? writable : readable;
    Boolean known = cache.get(topic);
    if (known != null) {
      return known;
    }
    boolean allowed = decide(acl, topic, access);
    if (cache.size() >= CACHE_SIZE) {
      cache.clear();
    }
    cache.put(topic, allowed);
    return allowed;
  }

  private boolean decide(Acl acl, String topic, Acl.Access access) {
    if (grants == null) {
      return acl.allows(username, clientId, topic, access);
    }
    if (access == Acl.Access.WRITE) {
      return !topic.startsWith("$") && grants.publish().stream().anyMatch(f -> matches(f, topic));
    }
    return topic.startsWith("$SYS/")
        || grants.subscribe().stream().anyMatch(f -> matches(f, topic));
  }

  private static boolean matches(String filter, String topic) {
    return Topics.matches(filter, topic);
  }
}
