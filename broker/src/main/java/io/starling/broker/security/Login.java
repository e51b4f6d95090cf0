package io.starling.broker.security;

import io.starling.codec.ReasonCode;

/**
 * The outcome of authenticating a CONNECT.
 *
 * @param reason {@link ReasonCode#SUCCESS}, or the refusal to put in CONNACK (the encoder maps it
 *     to the 3.1.1 return code: 0x86 to 4, 0x87 to 5, others to 3)
 * @param policy what the client may do (success only), else {@code null}
 */
public record Login(ReasonCode reason, ClientPolicy policy) {
  /** Whether the client is let in. */
  public boolean isSuccess() {
    return reason == ReasonCode.SUCCESS;
  }
}
