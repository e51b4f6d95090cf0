package io.starling.broker.routing;

import io.starling.broker.model.Message;
import io.starling.broker.threading.AnyThread;
import io.starling.codec.QoS;

/**
 * What the router asks of durable storage, on the publisher's loop, before a message leaves it: so
 * that the writes are queued ahead of the publisher's acknowledgement, which waits for them. The
 * router knows nothing else of storage; without persistence there is no instance.
 */
@AnyThread
public interface DurableCopies {
  /** The retained message of {@code m}'s topic was set, or cleared by an empty payload. */
  void retained(Message m);

  /**
   * Stores a copy of a QoS 1/2 message routed to {@code subscriber}, if its state is stored.
   *
   * @return the copy's sequence number, carried by the {@link Delivery}, or 0 if none was stored
   */
  long storeCopy(Subscriber subscriber, Message m, QoS qos, boolean retain, int[] subscriptionIds);
}
