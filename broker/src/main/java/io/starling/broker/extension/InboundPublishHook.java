package io.starling.broker.extension;

import io.starling.broker.model.Message;
import io.starling.broker.threading.EventLoopOnly;

/** Sees every application message a client publishes, after the broker's checks, before routing. */
@FunctionalInterface
public interface InboundPublishHook {
  /**
   * Inspects, changes or refuses a message. Called on the publisher's event loop, once per PUBLISH
   * (a resent QoS 2 PUBLISH is not seen twice); must not block.
   *
   * @param publisherClientId the publishing client's identifier
   * @param username the user it is authorised as, or {@code null}
   * @param message the message as published (topic resolved from any alias)
   * @return {@link PublishVerdict#pass} to go on with {@code message} or a changed copy, or {@link
   *     PublishVerdict#refuse} to route it nowhere
   */
  @EventLoopOnly
  PublishVerdict onInboundPublish(String publisherClientId, String username, Message message);
}
