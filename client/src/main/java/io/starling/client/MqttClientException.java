package io.starling.client;

import io.starling.codec.ReasonCode;

/**
 * A failed MQTT operation: a refused CONNECT, a failed subscription, a PUBLISH the broker did not
 * accept, a lost connection or a full offline buffer. Futures of {@link MqttClient} complete
 * exceptionally with it (wrapped in a {@link java.util.concurrent.CompletionException} by {@code
 * join()}).
 */
public final class MqttClientException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ReasonCode reasonCode;
  private final String reasonString;

  /**
   * @param message what failed, for people
   * @param reasonCode the MQTT reason code the broker sent (3.1.1 return codes are mapped to the
   *     5.0 codes), or {@code null} when the failure is the client's own (connection lost, buffer
   *     full)
   * @param reasonString the broker's reason string (MQTT 5.0), or {@code null}
   */
  public MqttClientException(String message, ReasonCode reasonCode, String reasonString) {
    super(describe(message, reasonCode, reasonString));
    this.reasonCode = reasonCode;
    this.reasonString = reasonString;
  }

  /** A failure of the client's own, with a cause. */
  public MqttClientException(String message, Throwable cause) {
    super(message, cause);
    this.reasonCode = null;
    this.reasonString = null;
  }

  /** The broker's reason code, or {@code null} when the failure did not come from the broker. */
  public ReasonCode reasonCode() {
    return reasonCode;
  }

  /** The broker's reason string (MQTT 5.0), or {@code null}. */
  public String reasonString() {
    return reasonString;
  }

  private static String describe(String message, ReasonCode code, String reasonString) {
    StringBuilder sb = new StringBuilder(message);
    if (code != null) {
      sb.append(": ").append(code.description()).append(String.format(" (0x%02X)", code.value()));
    }
    if (reasonString != null && !reasonString.isEmpty()) {
      sb.append(": ").append(reasonString);
    }
    return sb.toString();
  }
}
