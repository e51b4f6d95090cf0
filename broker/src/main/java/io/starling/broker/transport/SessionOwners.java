package io.starling.broker.transport;

import io.starling.broker.security.AuthResult.TopicGrants;
import io.starling.broker.security.Identity;
import io.starling.broker.security.ReadCheck;
import io.starling.broker.security.Security;
import io.starling.broker.session.ReadChecks;
import io.starling.broker.session.SessionOwner;
import io.starling.broker.threading.AnyThread;

/**
 * Between the security layer's {@link Identity} and the session layer's {@link SessionOwner}: the
 * owner a login makes, and the read checks of owners (also of sessions restored from the store,
 * before any client connects). Stateless.
 */
@AnyThread
public final class SessionOwners {
  private SessionOwners() {}

  /** The owner a client of {@code identity} makes of the session it takes. */
  public static SessionOwner of(Identity identity) {
    TopicGrants g = identity.grants();
    return new SessionOwner(
        identity.username(), g == null ? null : g.publish(), g == null ? null : g.subscribe());
  }

  /** The identity an owner stands for. */
  static Identity identityOf(SessionOwner owner) {
    TopicGrants g =
        owner.publishGrants() == null
            ? null
            : new TopicGrants(owner.publishGrants(), owner.subscribeGrants());
    return new Identity(owner.username(), g);
  }

  /** Owners' read checks from {@code security}'s ACL (or their grants). */
  public static ReadChecks readChecks(Security security) {
    return (owner, clientId) -> ReadCheck.of(security, identityOf(owner), clientId);
  }
}
