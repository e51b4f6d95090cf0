package io.starling.broker.security;

import java.util.Objects;

/**
 * An MQTT 5.0 enhanced authentication method (section 4.12): a challenge and response exchange
 * carried by the Authentication Method and Authentication Data properties of CONNECT, AUTH and
 * CONNACK, and again for re-authentication during a connection.
 *
 * <p>Threading: {@link #start} and {@link Exchange#step} run on the connection's event loop, so
 * they must not block: look credentials up in memory (a password file loaded at start-up), never on
 * disk or over the network.
 */
public interface EnhancedAuthenticator {
  /** The method's name as it appears in the Authentication Method property. */
  String method();

  /** Starts one exchange: the initial authentication of a CONNECT, or a re-authentication. */
  Exchange start();

  /** One exchange with one client. Not shared between connections. */
  interface Exchange {
    /** Takes the client's next Authentication Data (empty if none was sent). */
    Step step(byte[] clientData);
  }

  /** Where the exchange stands after a step. */
  enum Outcome {
    /** Send {@link Step#serverData} in AUTH 0x18 and wait for the client's answer. */
    CONTINUE,
    /** Authenticated: send {@link Step#serverData} (if any) in CONNACK or AUTH 0x00. */
    SUCCESS,
    /** Not authenticated: refuse the connection or end it. */
    FAILURE
  }

  /**
   * One step's result.
   *
   * @param serverData the data for the client, possibly empty, never null
   * @param username the authenticated user name on {@link Outcome#SUCCESS}, else null
   */
  record Step(Outcome outcome, byte[] serverData, String username) {
    public Step {
      Objects.requireNonNull(outcome, "outcome");
      Objects.requireNonNull(serverData, "serverData");
    }

    public static Step proceed(byte[] serverData) {
      return new Step(Outcome.CONTINUE, serverData, null);
    }

    public static Step success(byte[] serverData, String username) {
      return new Step(Outcome.SUCCESS, serverData, username);
    }

    public static Step failure(byte[] serverData) {
      return new Step(Outcome.FAILURE, serverData, null);
    }
  }
}
