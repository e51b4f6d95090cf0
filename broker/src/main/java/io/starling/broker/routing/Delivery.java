package io.starling.broker.routing;

import io.netty.buffer.ByteBuf;
import io.starling.broker.session.Session;
import io.starling.codec.QoS;

/**
 * One message for one session, on its way to the session's event loop. Consecutive deliveries of
 * the same message in a batch share one reference to its payload, released after the last of them
 * (see {@link Mailbox#deliver}).
 */
record Delivery(Session session, String topic, ByteBuf payload, QoS qos) {}
