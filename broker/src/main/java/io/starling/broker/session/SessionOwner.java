package io.starling.broker.session;

import java.util.List;
import java.util.Objects;

/**
 * Who owns a session: the user name its client was authorised as, and the topic grants its
 * credentials carried (a token's claims), as the security layer established them at CONNECT. The
 * session keeps it, stored with its record, so that its owner's read permission holds while it is
 * offline and after a restart, and so that a client of another user cannot take it over. The client
 * identifier is no part of it: a client asserts its identifier, it proves nothing. Immutable.
 *
 * @param username the user name, or {@code null} for an anonymous client
 * @param publishGrants the topic filters the credentials let it publish to, or {@code null} when
 *     the ACL file decides (then {@code subscribeGrants} is null too)
 * @param subscribeGrants the filters the credentials let it subscribe within and receive from, or
 *     {@code null} when the ACL file decides
 */
public record SessionOwner(
    String username, List<String> publishGrants, List<String> subscribeGrants) {
  /** A client without a proven user name, whose permissions the ACL file gives. */
  public static final SessionOwner ANONYMOUS = new SessionOwner(null, null, null);

  public SessionOwner {
    if ((publishGrants == null) != (subscribeGrants == null)) {
      throw new IllegalArgumentException("grants come in pairs: publish and subscribe");
    }
    publishGrants = publishGrants == null ? null : List.copyOf(publishGrants);
    subscribeGrants = subscribeGrants == null ? null : List.copyOf(subscribeGrants);
  }

  /** Whether {@code other} is the same user (its grants may differ: a newer token, say). */
  public boolean isSameUser(SessionOwner other) {
    return Objects.equals(username, other.username);
  }
}
