package io.starling.broker.security;

import io.starling.broker.config.AbuseLimits;
import io.starling.broker.threading.AnyThread;
import java.util.function.Predicate;

/**
 * Whether a message on a topic may be delivered to the session of one {@link Identity}: exactly
 * {@link ClientPolicy#canReceive}, following ACL reloads, but answerable on any thread, because the
 * router asks it on the publisher's loop before it stores a copy for the session, and the session
 * has it while no connection (and so no connection's policy) exists: offline, and after a restart.
 *
 * <p>Thread-safe: it holds a policy of its own that nothing else uses (no publish rate, reads only)
 * and asks it under this object's lock; the lock guards a cached map lookup, and is contended only
 * when two publishers' loops route to the same session at the same moment.
 */
@AnyThread
public final class ReadCheck implements Predicate<String> {
  private final ClientPolicy policy;

  private ReadCheck(ClientPolicy policy) {
    this.policy = policy;
  }

  /**
   * The read check of {@code owner} for the session of {@code clientId} (which {@code %c} rules
   * see), or {@code null} when everything may be delivered (no ACL file and no token grants), to
   * keep the delivery path free.
   */
  public static ReadCheck of(Security security, Identity owner, String clientId) {
    ClientPolicy p =
        new ClientPolicy(
            security,
            owner.username(),
            clientId,
            owner.grants(),
            null, // a read check is never revoked: the session's owner stays its owner
            null,
            AbuseLimits.DEFAULT);
    return p.receiveFilter() == null ? null : new ReadCheck(p);
  }

  /** Whether a message on {@code topic} may be delivered. */
  @Override
  public synchronized boolean test(String topic) {
    return policy.canReceive(topic);
  }
}
