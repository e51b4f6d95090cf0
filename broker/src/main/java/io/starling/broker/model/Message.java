package io.starling.broker.model;

import io.netty.buffer.ByteBuf;
import io.starling.codec.QoS;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Property;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.Publish;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An application message as the broker routes it: one instance shared by every delivery of it.
 * Immutable; the payload is shared read-only and its references are counted by whoever holds it.
 *
 * @param topic the topic name (never an alias)
 * @param payload the payload
 * @param qos the QoS it was published with
 * @param retain the RETAIN flag it was published with
 * @param properties the properties forwarded to 5.0 subscribers unchanged: payload format, content
 *     type, response topic, correlation data and user properties in order [MQTT-3.3.2-15]
 *     [MQTT-3.3.2-20]; never a topic alias, subscription identifier or expiry interval, which are
 *     set per delivery
 * @param expiryAtNanos when the message expires on the {@link System#nanoTime()} clock, 0 for never
 * @param originClientId the client identifier of its publisher (for no local [MQTT-3.8.3-3]), or
 *     {@code null} for the broker's own messages
 */
public record Message(
    String topic,
    ByteBuf payload,
    QoS qos,
    boolean retain,
    Properties properties,
    long expiryAtNanos,
    String originClientId) {

  /** A message without properties or expiry (3.1.1 publishers, wills without properties). */
  public static Message of(String topic, ByteBuf payload, QoS qos, boolean retain) {
    return new Message(topic, payload, qos, retain, Properties.EMPTY, 0, null);
  }

  /**
   * The message a PUBLISH carries, its topic resolved by the caller (topic aliases), its expiry
   * counted from {@code nowNanos} [MQTT-3.3.2-5].
   */
  public static Message of(Publish p, String topic, String originClientId, long nowNanos) {
    return of(topic, p.payload(), p.qos(), p.retained(), p.properties(), originClientId, nowNanos);
  }

  /**
   * A message with the properties a PUBLISH or will carries: the expiry interval becomes a deadline
   * counted from {@code nowNanos}; topic alias, subscription identifiers and will delay are
   * dropped.
   */
  public static Message of(
      String topic,
      ByteBuf payload,
      QoS qos,
      boolean retain,
      Properties in,
      String originClientId,
      long nowNanos) {
    if (in.isEmpty()) {
      return new Message(topic, payload, qos, retain, in, 0, originClientId);
    }
    long expiry = 0;
    List<Property> kept = new ArrayList<>(in.entries().size());
    for (Property e : in.entries()) {
      switch (e.id()) {
        case MESSAGE_EXPIRY_INTERVAL -> {
          expiry = nowNanos + TimeUnit.SECONDS.toNanos((Long) e.value());
          expiry = expiry == 0 ? 1 : expiry; // 0 means "never"
        }
        case TOPIC_ALIAS, SUBSCRIPTION_IDENTIFIER, WILL_DELAY_INTERVAL -> {}
        default -> kept.add(e);
      }
    }
    return new Message(topic, payload, qos, retain, Properties.of(kept), expiry, originClientId);
  }

  /** Whether the message expired before {@code nowNanos}. */
  public boolean isExpired(long nowNanos) {
    return expiryAtNanos != 0 && nowNanos - expiryAtNanos >= 0;
  }

  /** The same message with another payload buffer (retained copies). */
  public Message withPayload(ByteBuf other) {
    return new Message(topic, other, qos, retain, properties, expiryAtNanos, null);
  }

  /**
   * The properties of one delivery to a 5.0 subscriber: the forwarded ones, the expiry interval
   * reduced by the time the message waited in the broker [MQTT-3.3.2-6], and the identifiers of the
   * subscriptions it matched [MQTT-3.3.4-3].
   *
   * @param subscriptionIds identifiers, or {@code null} for none
   */
  public Properties deliveryProperties(int[] subscriptionIds, long nowNanos) {
    if (expiryAtNanos == 0 && subscriptionIds == null) {
      return properties;
    }
    Properties.Builder b = Properties.builder();
    for (var e : properties.entries()) {
      b.add(e.id(), e.value());
    }
    if (expiryAtNanos != 0) {
      long leftNanos = Math.max(0, expiryAtNanos - nowNanos);
      // Rounded up: a message not yet expired never says 0 seconds left.
      b.add(
          PropertyId.MESSAGE_EXPIRY_INTERVAL,
          Math.max(1, (leftNanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1)));
    }
    if (subscriptionIds != null) {
      for (int id : subscriptionIds) {
        b.add(PropertyId.SUBSCRIPTION_IDENTIFIER, id);
      }
    }
    return b.build();
  }
}
