package io.starling.broker.extension;

import io.starling.broker.model.Message;
import io.starling.codec.ReasonCode;

/**
 * What an {@link InboundPublishHook} decided: the message to route (the one it was given, or a
 * changed copy sharing or replacing its payload; a replaced payload buffer passes to the broker,
 * which releases it once the message is routed), or a refusal. A refused QoS 1/2 message is
 * acknowledged with the reason code (5.0 PUBACK/PUBREC; 3.1.1 has no way to say it) and goes
 * nowhere.
 *
 * @param message the message to route; {@code null} when refused
 * @param refusal the reason code of a refusal (0x80 or more); {@code null} when passed
 */
public record PublishVerdict(Message message, ReasonCode refusal) {
  public PublishVerdict {
    if ((message == null) == (refusal == null)) {
      throw new IllegalArgumentException("a verdict has a message or a refusal, not both");
    }
    if (refusal != null && !refusal.isError()) {
      throw new IllegalArgumentException("a refusal needs an error reason code: " + refusal);
    }
  }

  /** Route {@code message}. */
  public static PublishVerdict pass(Message message) {
    return new PublishVerdict(message, null);
  }

  /** Route nothing; the publisher hears {@code reason} (for example 0x87 not authorized). */
  public static PublishVerdict refuse(ReasonCode reason) {
    return new PublishVerdict(null, reason);
  }

  public boolean isRefused() {
    return refusal != null;
  }
}
