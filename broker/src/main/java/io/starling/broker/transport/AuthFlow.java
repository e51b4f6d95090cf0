package io.starling.broker.transport;

import io.starling.broker.security.EnhancedAuthenticator;
import io.starling.broker.security.EnhancedAuthenticator.Outcome;
import io.starling.broker.security.EnhancedAuthenticator.Step;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;

/**
 * The enhanced authentication of one 5.0 connection (section 4.12): the AUTH exchange between
 * CONNECT and CONNACK, and re-authentication later. Created only for a CONNECT that names an
 * Authentication Method the broker supports. Event-loop only.
 */
@EventLoopOnly
final class AuthFlow {
  private final EnhancedAuthenticator authenticator;
  private EnhancedAuthenticator.Exchange exchange;
  private boolean reauthenticating;

  AuthFlow(EnhancedAuthenticator authenticator) {
    this.authenticator = authenticator;
  }

  String method() {
    return authenticator.method();
  }

  /** Starts the exchange with the data of CONNECT or of AUTH 0x19. */
  Step start(Properties props, boolean reauthentication) {
    exchange = authenticator.start();
    reauthenticating = reauthentication;
    return exchange.step(data(props));
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
      return "AUTH with method " + method + " where CONNECT said " + authenticator.method();
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
    return exchange.step(data(a.properties()));
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
