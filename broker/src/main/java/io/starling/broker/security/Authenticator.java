package io.starling.broker.security;

/**
 * Decides whether a connecting client may come in: one link of the chain named in {@code
 * security.authenticators}. Implementations come from an {@link AuthenticatorProvider}.
 *
 * <p>Threads: {@link #authenticate} runs on the broker's authentication executor (never on an event
 * loop), possibly on several threads at once, so it must be thread-safe; it may block (a database,
 * an HTTP call). The broker gives the whole chain {@code security.auth_timeout_millis} per CONNECT;
 * after that the client is refused with "server unavailable" and the thread is interrupted.
 */
public interface Authenticator extends AutoCloseable {
  /**
   * Judges one CONNECT. Return {@link AuthResult#CONTINUE} for credentials this authenticator does
   * not know (another one in the chain may); an exception counts as a refusal with "server
   * unavailable" and is logged without the password.
   */
  AuthResult authenticate(AuthRequest request) throws Exception;

  /**
   * The answer {@link #authenticate} would give, when it can be had at once from memory (a cache
   * hit, or credentials that are plainly not this authenticator's: {@link AuthResult#CONTINUE}),
   * else {@code null}. The broker asks every authenticator of the chain this first, on the
   * connection's event loop and before the login is queued for the authentication threads: a login
   * the chain lets in this way never waits behind other logins' slow checks. Only {@code CONTINUE}
   * and allowing answers are taken from here; for anything else, and whenever one authenticator
   * returns {@code null}, the login runs through {@link #authenticate} on the authentication
   * threads.
   *
   * <p>Must not block or do slow work (no I/O, no password hashing: microseconds), and must be
   * thread-safe. The default, {@code null}, always takes the slow path.
   */
  default AuthResult quickAnswer(AuthRequest request) {
    return null;
  }

  /** Called when the files the broker watches change; reload what you cache. Any thread. */
  default void reload() throws Exception {}

  /** Releases resources at broker shutdown. */
  @Override
  default void close() {}
}
