package io.starling.broker.extension;

import io.starling.broker.model.Message;
import io.starling.broker.threading.EventLoopOnly;
import io.starling.codec.QoS;

/** Sees each delivery of a message to one subscriber, before it is queued or sent. */
@FunctionalInterface
public interface DeliveryHook {
  /**
   * Called on the subscriber's event loop for every delivery (retained messages on subscribe too);
   * must not block.
   *
   * @param subscriberClientId the receiving client's identifier
   * @param message the message, shared by all its deliveries
   * @param qos the QoS of this delivery
   * @return {@code message} to deliver it as is, a changed copy for this subscriber only (for
   *     example other user properties; it must share {@code message}'s payload buffer), or {@code
   *     null} to skip this delivery
   */
  @EventLoopOnly
  Message onDelivery(String subscriberClientId, Message message, QoS qos);
}
