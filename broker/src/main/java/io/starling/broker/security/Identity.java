package io.starling.broker.security;

import io.starling.broker.security.AuthResult.TopicGrants;
import java.util.Objects;

/**
 * Who a client is, as far as its permissions go: the user name it is authorised as and the topic
 * grants its credentials carry. A session remembers the identity that owns it, so that its read
 * permission holds while it is offline and after a restart, and so that another user cannot take it
 * over. The client identifier is not part of it: a client asserts its identifier, it proves
 * nothing. Immutable.
 *
 * @param username the user name, or {@code null} for an anonymous client
 * @param grants the permissions its credentials carry (a token's claims), or {@code null} when the
 *     ACL file decides
 */
public record Identity(String username, TopicGrants grants) {
  /** A client that gave no proven user name. */
  public static final Identity ANONYMOUS = new Identity(null, null);

  /** Whether {@code other} is the same user (grants may differ: a newer token, say). */
  public boolean isSameUser(Identity other) {
    return Objects.equals(username, other.username);
  }
}
