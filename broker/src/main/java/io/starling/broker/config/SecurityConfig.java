package io.starling.broker.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Who may connect and what they may do: the {@code security:} section of the config file.
 *
 * @param allowAnonymous whether clients without a user name and password are let in; {@code null}
 *     means automatic: true when no authenticator is configured, false once one is
 * @param authenticators the authenticator chain by name ({@code file}, {@code jwt} or the name a
 *     {@link io.starling.broker.security.AuthenticatorProvider} reports), asked in order
 * @param passwordFile the password file for the {@code file} authenticator, or {@code null}
 * @param aclFile the ACL file, or {@code null} for "every authenticated client may do anything"
 * @param reloadIntervalSeconds how often the password and ACL files are checked for changes; 0
 *     turns reloading off
 * @param authThreads threads that run authenticators (they may block)
 * @param authTimeoutMillis how long the chain may take for one CONNECT before it is refused
 * @param authQueueSize logins that may wait for the authentication threads; more are refused with
 *     "server busy"
 * @param authQueuePerAddress logins one source address may have waiting for (or running on) the
 *     authentication threads; more from it are refused with "server busy", so that one address
 *     cannot fill the queue
 * @param authCacheSeconds how long a successful password check is remembered, so that a reconnect
 *     storm does not redo the slow hash; 0 turns the cache off
 * @param jwt settings of the {@code jwt} authenticator
 * @param plugins options for custom authenticators, by authenticator name
 * @param allowTakeoverByOtherUser whether, with authentication on, a client authenticated as one
 *     user may take over the session another user created under the same client identifier (off:
 *     such a CONNECT is refused as not authorized)
 */
public record SecurityConfig(
    Boolean allowAnonymous,
    List<String> authenticators,
    Path passwordFile,
    Path aclFile,
    int reloadIntervalSeconds,
    int authThreads,
    int authTimeoutMillis,
    int authQueueSize,
    int authQueuePerAddress,
    int authCacheSeconds,
    Jwt jwt,
    Map<String, Map<String, String>> plugins,
    boolean allowTakeoverByOtherUser) {
  /** Logins that may wait for the authentication threads by default. */
  public static final int DEFAULT_AUTH_QUEUE_SIZE = 1024;

  /** Logins one address may have waiting for the authentication threads by default. */
  public static final int DEFAULT_AUTH_QUEUE_PER_ADDRESS = 16;

  public static final SecurityConfig DEFAULT =
      new SecurityConfig(
          null,
          List.of(),
          null,
          null,
          5,
          2,
          5000,
          DEFAULT_AUTH_QUEUE_SIZE,
          DEFAULT_AUTH_QUEUE_PER_ADDRESS,
          300,
          Jwt.DEFAULT,
          Map.of(),
          false);

  public SecurityConfig {
    authenticators = List.copyOf(authenticators);
    plugins = Map.copyOf(plugins);
    Objects.requireNonNull(jwt, "jwt");
    if (reloadIntervalSeconds < 0) {
      throw new IllegalArgumentException("security.reload_interval_seconds must be 0 or more");
    }
    if (authThreads < 1) {
      throw new IllegalArgumentException("security.auth_threads must be at least 1");
    }
    if (authTimeoutMillis < 1) {
      throw new IllegalArgumentException("security.auth_timeout_millis must be at least 1");
    }
    if (authQueueSize < 1) {
      throw new IllegalArgumentException("security.auth_queue_size must be at least 1");
    }
    if (authQueuePerAddress < 1) {
      throw new IllegalArgumentException("security.auth_queue_per_address must be at least 1");
    }
    if (authCacheSeconds < 0) {
      throw new IllegalArgumentException("security.auth_cache_seconds must be 0 or more");
    }
    if (authenticators.contains("file") && passwordFile == null) {
      throw new IllegalArgumentException(
          "security.password_file is needed by the 'file' authenticator");
    }
  }

  /** Whether anonymous clients are let in, with the automatic default resolved. */
  public boolean anonymousAllowed() {
    return allowAnonymous != null ? allowAnonymous : authenticators.isEmpty();
  }

  /** A copy with another authenticator chain and files, for tests and embedding. */
  public SecurityConfig with(
      Boolean allowAnonymous, List<String> authenticators, Path passwordFile, Path aclFile) {
    return toBuilder()
        .allowAnonymous(allowAnonymous)
        .authenticators(authenticators)
        .passwordFile(passwordFile)
        .aclFile(aclFile)
        .build();
  }

  /** A copy with other JWT settings. */
  public SecurityConfig withJwt(Jwt jwt) {
    return toBuilder().jwt(jwt).build();
  }

  /** A copy with other timing settings. */
  public SecurityConfig withTiming(
      int reloadIntervalSeconds, int authThreads, int authTimeoutMillis, int authCacheSeconds) {
    return toBuilder()
        .reloadIntervalSeconds(reloadIntervalSeconds)
        .authThreads(authThreads)
        .authTimeoutMillis(authTimeoutMillis)
        .authCacheSeconds(authCacheSeconds)
        .build();
  }

  /** A copy with another authentication queue: its size, and each address's share of it. */
  public SecurityConfig withAuthQueue(int authQueueSize, int authQueuePerAddress) {
    return toBuilder()
        .authQueueSize(authQueueSize)
        .authQueuePerAddress(authQueuePerAddress)
        .build();
  }

  /** A copy that allows or forbids taking over another user's session. */
  public SecurityConfig withTakeoverByOtherUser(boolean allow) {
    return toBuilder().allowTakeoverByOtherUser(allow).build();
  }

  /** A copy with options for custom authenticators. */
  public SecurityConfig withPlugins(Map<String, Map<String, String>> plugins) {
    return toBuilder().plugins(plugins).build();
  }

  /** A builder starting from these settings, to change some of them. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Security settings built from others, changing some. {@link #build} checks them as the record's
   * constructor does.
   */
  public static final class Builder {
    private Boolean allowAnonymous;
    private List<String> authenticators;
    private Path passwordFile;
    private Path aclFile;
    private int reloadIntervalSeconds;
    private int authThreads;
    private int authTimeoutMillis;
    private int authQueueSize;
    private int authQueuePerAddress;
    private int authCacheSeconds;
    private Jwt jwt;
    private Map<String, Map<String, String>> plugins;
    private boolean allowTakeoverByOtherUser;

    private Builder(SecurityConfig from) {
      allowAnonymous = from.allowAnonymous;
      authenticators = from.authenticators;
      passwordFile = from.passwordFile;
      aclFile = from.aclFile;
      reloadIntervalSeconds = from.reloadIntervalSeconds;
      authThreads = from.authThreads;
      authTimeoutMillis = from.authTimeoutMillis;
      authQueueSize = from.authQueueSize;
      authQueuePerAddress = from.authQueuePerAddress;
      authCacheSeconds = from.authCacheSeconds;
      jwt = from.jwt;
      plugins = from.plugins;
      allowTakeoverByOtherUser = from.allowTakeoverByOtherUser;
    }

    public Builder allowAnonymous(Boolean value) {
      allowAnonymous = value;
      return this;
    }

    public Builder authenticators(List<String> value) {
      authenticators = value;
      return this;
    }

    public Builder passwordFile(Path value) {
      passwordFile = value;
      return this;
    }

    public Builder aclFile(Path value) {
      aclFile = value;
      return this;
    }

    public Builder reloadIntervalSeconds(int value) {
      reloadIntervalSeconds = value;
      return this;
    }

    public Builder authThreads(int value) {
      authThreads = value;
      return this;
    }

    public Builder authTimeoutMillis(int value) {
      authTimeoutMillis = value;
      return this;
    }

    public Builder authQueueSize(int value) {
      authQueueSize = value;
      return this;
    }

    public Builder authQueuePerAddress(int value) {
      authQueuePerAddress = value;
      return this;
    }

    public Builder authCacheSeconds(int value) {
      authCacheSeconds = value;
      return this;
    }

    public Builder jwt(Jwt value) {
      jwt = value;
      return this;
    }

    public Builder plugins(Map<String, Map<String, String>> value) {
      plugins = value;
      return this;
    }

    public Builder allowTakeoverByOtherUser(boolean value) {
      allowTakeoverByOtherUser = value;
      return this;
    }

    /** The settings, checked (an {@link IllegalArgumentException} names the bad key). */
    public SecurityConfig build() {
      return new SecurityConfig(
          allowAnonymous,
          authenticators,
          passwordFile,
          aclFile,
          reloadIntervalSeconds,
          authThreads,
          authTimeoutMillis,
          authQueueSize,
          authQueuePerAddress,
          authCacheSeconds,
          jwt,
          plugins,
          allowTakeoverByOtherUser);
    }
  }

  /**
   * The {@code jwt} authenticator: the token comes in the CONNECT password field.
   *
   * @param hmacSecretFile a file holding the HS256 secret (at least 32 bytes), or {@code null}
   * @param rsaPublicKeyFile a PEM file holding the RS256 public key, or {@code null}
   * @param usernameClaim the claim that names the user
   * @param publishClaim a claim listing topic filters the user may publish to, or {@code null}
   * @param subscribeClaim a claim listing topic filters the user may subscribe to, or {@code null}
   * @param issuer the required {@code iss}, or {@code null} for any
   * @param audience the required {@code aud}, or {@code null} for any
   * @param clockSkewSeconds tolerance when checking {@code exp} and {@code nbf}
   */
  public record Jwt(
      Path hmacSecretFile,
      Path rsaPublicKeyFile,
      String usernameClaim,
      String publishClaim,
      String subscribeClaim,
      String issuer,
      String audience,
      int clockSkewSeconds) {
    public static final Jwt DEFAULT =
        new Jwt(null, null, "sub", "mqtt_publish", "mqtt_subscribe", null, null, 30);

    public Jwt {
      Objects.requireNonNull(usernameClaim, "usernameClaim");
      if (clockSkewSeconds < 0) {
        throw new IllegalArgumentException("security.jwt.clock_skew_seconds must be 0 or more");
      }
    }
  }
}
