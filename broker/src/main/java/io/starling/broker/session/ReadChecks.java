package io.starling.broker.session;

import io.starling.broker.threading.AnyThread;
import java.util.function.Predicate;

/**
 * Where sessions get their owner's read check: the security layer's read permission of a {@link
 * SessionOwner}, which the wiring supplies, so that the session layer knows nothing of security.
 */
@AnyThread
@FunctionalInterface
public interface ReadChecks {
  /** Everything may be read (no ACL, no grants). */
  ReadChecks NONE = (owner, clientId) -> null;

  /**
   * Whether a message on a topic may be delivered to the session of {@code clientId} owned by
   * {@code owner}: a check usable on any thread (the router asks it on publishers' loops),
   * following ACL reloads; or {@code null} when everything may be.
   */
  Predicate<String> of(SessionOwner owner, String clientId);
}
