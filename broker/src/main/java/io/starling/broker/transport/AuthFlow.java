package io.starling.broker.transport;

import io.starling.broker.security.EnhancedAuthenticator;
import io.starling.broker.security.EnhancedAuthenticator.Outcome;
import io.starling.broker.security.EnhancedAuthenticator.Step;
import io.starling.broker.security.Security;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import java.net.InetAddress;
import java.util.Objects;

/**
 * The enhanced authentication of one 5.0 connection (section 4.12): the AUTH exchange between
 * CONNECT and CONNACK, and re-authentication later. Created only for a CONNECT that names an
 * Authentication Method the broker supports. Event-loop only.
 *
 * <p>It holds the exchanges to the failed-login rules of plain CONNECTs: a failed exchange counts
 * as a failed login of the address, and while the address is over its limit every step fails with
 * {@link ReasonCode#CONNECTION_RATE_EXCEEDED} before the authenticator sees it, so a right guess
 * gets the same answer as a wrong one. A re-authentication must prove the identity the connection
 * already has: one that succeeds as another user fails, since the permissions in force are that
 * first user's.
 */
@EventLoopOnly
final class AuthFlow {
  private final EnhancedAuthenticator authenticator;
  private final Security security;
  private final InetAddress address;
  private EnhancedAuthenticator.Exchange exchange;
  private boolean reauthenticating;

  /** The user the exchange at CONNECT proved; null until then. */
  private String user;

  /** Why the last failed step failed: what CONNACK or DISCONNECT says. */
  private ReasonCode failure = ReasonCode.NOT_AUTHORIZED;

  /**
   * @param address the client's address (failed exchanges count against it), or null
   */
  AuthFlow(EnhancedAuthenticator authenticator, Security security, InetAddress address) {
    this.authenticator = authenticator;
    this.security = security;
    this.address = address;
  }

  String method() {
    return authenticator.method();
  }

  /** Starts the exchange with the data of CONNECT or of AUTH 0x19. */
  Step start(Properties props, boolean reauthentication) {
    exchange = authenticator.start();
    reauthenticating = reauthentication;
    return judged(props);
  }

  /** Whether an exchange is under way (between its start and its success or failure). */
  boolean inProgress() {
    return exchange != null;
  }

  boolean isReauthenticating() {
    return reauthenticating;
  }

  /**
   * What is wrong with an AUTH from the client, or {@code null}: it must name the method of CONNECT
   * [MQTT-4.12.0-5] [MQTT-4.12.1-1], continue an exchange under way with 0x18 [MQTT-4.12.0-3], and
   * start a re-authentication with 0x19 only when none is under way.
   */
  String problem(Auth a) {
    String method = a.properties().stringValue(PropertyId.AUTHENTICATION_METHOD).orElse(null);
    if (!authenticator.method().equals(method)) {
      // The client's method is not repeated: a Reason String never carries the peer's bytes.
      return "AUTH without the authentication method of CONNECT, " + authenticator.method();
    }
    if (inProgress() && a.reasonCode() != ReasonCode.CONTINUE_AUTHENTICATION) {
      return "AUTH " + a.reasonCode() + " while an exchange is under way";
    }
    if (!inProgress() && a.reasonCode() != ReasonCode.REAUTHENTICATE) {
      return "AUTH " + a.reasonCode() + " with no exchange under way";
    }
    return null;
  }

  /** Feeds the data of an AUTH 0x18 to the exchange under way. */
  Step next(Auth a) {
    return judged(a.properties());
  }

  /** The authenticator's step on {@code props}, held to the failed-login rules. */
  private Step judged(Properties props) {
    if (security.isLoginBlocked(address)) {
      failure = ReasonCode.CONNECTION_RATE_EXCEEDED; // whatever the data, right or wrong
      return Step.failure(new byte[0]);
    }
    Step step = exchange.step(data(props));
    switch (step.outcome()) {
      case CONTINUE -> {}
      case FAILURE -> {
        failure = ReasonCode.NOT_AUTHORIZED;
        security.enhancedAuthFailed(authenticator.method(), user, address);
      }
      case SUCCESS -> {
        if (!reauthenticating) {
          user = step.username();
        } else if (!Objects.equals(user, step.username())) {
          // The credentials are right, but for another user than the connection's, whose
          // permissions are in force: refused, not counted as a failed login.
          failure = ReasonCode.NOT_AUTHORIZED;
          return Step.failure(new byte[0]);
        }
      }
    }
    return step;
  }

  /**
   * Why the exchange failed: {@link ReasonCode#NOT_AUTHORIZED}, or {@link
   * ReasonCode#CONNECTION_RATE_EXCEEDED} for an address over its failed-login limit.
   */
  ReasonCode failureReason() {
    return failure;
  }

  /** Ends the exchange (after success or failure). */
  void finish() {
    exchange = null;
  }

  /** The AUTH packet that carries a step to the client: 0x18 to continue, 0x00 at success. */
  Auth toClient(Step step) {
    ReasonCode code =
        step.outcome() == Outcome.CONTINUE
            ? ReasonCode.CONTINUE_AUTHENTICATION
            : ReasonCode.SUCCESS;
    return new Auth(code, properties(step));
  }

  /** Authentication Method and (non-empty) Authentication Data for CONNACK or AUTH. */
  Properties properties(Step step) {
    Properties.Builder b =
        Properties.builder().add(PropertyId.AUTHENTICATION_METHOD, authenticator.method());
    if (step.serverData().length > 0) {
      b.add(PropertyId.AUTHENTICATION_DATA, BinaryData.of(step.serverData()));
    }
    return b.build();
  }

  private static byte[] data(Properties props) {
    return props
        .binaryValue(PropertyId.AUTHENTICATION_DATA)
        .map(BinaryData::toByteArray)
        .orElse(new byte[0]);
  }
}
