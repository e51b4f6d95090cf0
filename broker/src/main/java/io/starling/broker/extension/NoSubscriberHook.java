package io.starling.broker.extension;

import io.starling.broker.model.Message;
import io.starling.broker.threading.EventLoopOnly;

/**
 * Gets the messages that matched no subscription (nor shared subscription group), published by
 * clients or as wills; never the broker's own {@code $} topics.
 */
@FunctionalInterface
public interface NoSubscriberHook {
  /**
   * Called on the publisher's event loop once the message was routed to nobody; must not block. The
   * payload belongs to the caller: retain it to keep it past the call.
   */
  @EventLoopOnly
  void onNoSubscriber(Message message);
}
