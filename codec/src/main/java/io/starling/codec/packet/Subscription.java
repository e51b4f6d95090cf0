package io.starling.codec.packet;

import io.starling.codec.QoS;
import java.util.Objects;

/**
 * One topic filter of a SUBSCRIBE, with its options. Before MQTT 5.0 only the filter and maximum
 * QoS are on the wire; the other options keep their defaults.
 *
 * @param filter the topic filter
 * @param maxQos the maximum QoS the subscriber asks for
 * @param noLocal do not send the subscriber its own publications (MQTT 5.0)
 * @param retainAsPublished keep the RETAIN flag as published when forwarding (MQTT 5.0)
 * @param retainHandling when retained messages are sent (MQTT 5.0)
 */
public record Subscription(
    String filter,
    QoS maxQos,
    boolean noLocal,
    boolean retainAsPublished,
    RetainHandling retainHandling) {
  public Subscription {
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(maxQos, "maxQos");
    Objects.requireNonNull(retainHandling, "retainHandling");
  }

  /** A subscription with MQTT 3.1.1 semantics: only the filter and maximum QoS. */
  public static Subscription of(String filter, QoS maxQos) {
    return new Subscription(filter, maxQos, false, false, RetainHandling.SEND_ON_SUBSCRIBE);
  }
}
