package io.starling.testkit;

/**
 * Thrown by {@link WireReader} for bytes that no MQTT server may send: the message names the field
 * and, where there is one, the specification statement it breaks.
 */
public final class WireFormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A refusal with a message naming the packet, the field and the rule. */
  public WireFormatException(String message) {
    super(message);
  }
}
