package io.starling.broker.routing;

import io.starling.broker.model.Message;
import io.starling.codec.QoS;

/**
 * One message for one subscriber, on its way to the subscriber's event loop: the per-subscriber
 * terms of a delivery, next to the one shared {@link Message}. Consecutive deliveries of the same
 * message in a batch share one reference to its payload, released after the last of them (see
 * {@link Mailbox#deliver}).
 *
 * @param subscriber where it goes
 * @param message the message, shared by every delivery of it
 * @param qos the QoS of this delivery: min(publish QoS, granted QoS)
 * @param retain the RETAIN flag of this delivery
 * @param subscriptionIds the identifiers of the matched subscriptions, or {@code null}
 * @param group the shared subscription group it was chosen for, or {@code null}
 * @param seq the sequence number of the copy stored for the subscriber, or 0
 */
public record Delivery(
    Subscriber subscriber,
    Message message,
    QoS qos,
    boolean retain,
    int[] subscriptionIds,
    SharedGroup group,
    long seq) {

  /** A delivery with nothing stored (retained messages on subscribe, rerouted shared messages). */
  public static Delivery of(
      Subscriber subscriber, Message message, QoS qos, boolean retain, int[] ids, SharedGroup g) {
    return new Delivery(subscriber, message, qos, retain, ids, g, 0);
  }
}
