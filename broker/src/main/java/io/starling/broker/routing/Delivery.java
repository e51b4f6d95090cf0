package io.starling.broker.routing;

import io.starling.broker.session.Session;
import io.starling.codec.QoS;

/**
 * One message for one session, on its way to the session's event loop. Consecutive deliveries of
 * the same message in a batch share one reference to its payload, released after the last of them
 * (see {@link Mailbox#deliver}).
 *
 * @param qos the QoS of this delivery
 * @param retain the RETAIN flag of this delivery
 * @param subscriptionIds the identifiers of the matched subscriptions, or {@code null}
 * @param group the shared subscription group it was chosen for, or {@code null}
 * @param seq the sequence number of the copy stored for the session, or 0
 */
record Delivery(
    Session session,
    Message message,
    QoS qos,
    boolean retain,
    int[] subscriptionIds,
    SharedGroup group,
    long seq) {}
