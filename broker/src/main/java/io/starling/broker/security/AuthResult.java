package io.starling.broker.security;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An authenticator's answer.
 *
 * @param outcome what it decided
 * @param username the user name the client is authorised as (ALLOW only), which may differ from the
 *     CONNECT user name (for a token, the claim that names the user)
 * @param grants topic permissions that come with the credentials (a token's claims) and replace the
 *     ACL file for this client, or {@code null} to use the ACL file
 * @param expiresAt when the credentials stop being valid (a token's {@code exp}): the broker ends
 *     the connection then (5.0: DISCONNECT 0xA0, maximum connect time); {@code null} for never
 */
public record AuthResult(Outcome outcome, String username, TopicGrants grants, Instant expiresAt) {
  /** The credentials are not this authenticator's to judge: ask the next one in the chain. */
  public static final AuthResult CONTINUE = new AuthResult(Outcome.CONTINUE, null, null);

  /** The credentials are wrong (CONNACK 0x04 in 3.1.1, 0x86 in 5.0). */
  public static final AuthResult BAD_CREDENTIALS =
      new AuthResult(Outcome.BAD_CREDENTIALS, null, null);

  /** The credentials are right but this client may not connect (0x05 in 3.1.1, 0x87 in 5.0). */
  public static final AuthResult NOT_AUTHORIZED =
      new AuthResult(Outcome.NOT_AUTHORIZED, null, null);

  /** What an authenticator decided. */
  public enum Outcome {
    ALLOW,
    CONTINUE,
    BAD_CREDENTIALS,
    NOT_AUTHORIZED
  }

  public AuthResult {
    Objects.requireNonNull(outcome, "outcome");
    if (outcome == Outcome.ALLOW) {
      Objects.requireNonNull(username, "username");
    }
  }

  /** An answer without an expiry. */
  public AuthResult(Outcome outcome, String username, TopicGrants grants) {
    this(outcome, username, grants, null);
  }

  /** A copy whose credentials stop being valid at {@code expiresAt}. */
  public AuthResult expiringAt(Instant expiresAt) {
    return new AuthResult(outcome, username, grants, expiresAt);
  }

  /** Lets the client in as {@code username}, with the ACL file's permissions. */
  public static AuthResult allow(String username) {
    return new AuthResult(Outcome.ALLOW, username, null);
  }

  /** Lets the client in as {@code username} with exactly these permissions. */
  public static AuthResult allow(String username, TopicGrants grants) {
    return new AuthResult(Outcome.ALLOW, username, grants);
  }

  /**
   * Topic filters a client may publish to and subscribe to, carried by its credentials.
   *
   * @param publish filters of topics the client may publish to
   * @param subscribe filters the client may subscribe within (and receive from)
   */
  public record TopicGrants(List<String> publish, List<String> subscribe) {
    public TopicGrants {
      publish = List.copyOf(publish);
      subscribe = List.copyOf(subscribe);
    }
  }
}
