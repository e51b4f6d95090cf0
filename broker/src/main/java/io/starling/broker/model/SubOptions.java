package io.starling.broker.model;

import io.starling.codec.QoS;

/**
 * The options of one subscription as the topic tree keeps them. Subscriptions without MQTT 5.0
 * options share three constants, so an idle fleet of 3.1.1 subscribers allocates none.
 *
 * @param qos the granted QoS
 * @param noLocal do not deliver the subscriber's own publications [MQTT-3.8.3-3]
 * @param retainAsPublished forward RETAIN as published rather than 0 [MQTT-3.3.1-12]
 * @param subscriptionId the subscription identifier, 0 for none
 */
public record SubOptions(QoS qos, boolean noLocal, boolean retainAsPublished, int subscriptionId) {
  private static final SubOptions[] PLAIN = {
    new SubOptions(QoS.AT_MOST_ONCE, false, false, 0),
    new SubOptions(QoS.AT_LEAST_ONCE, false, false, 0),
    new SubOptions(QoS.EXACTLY_ONCE, false, false, 0)
  };

  /** A subscription with only a QoS (every 3.1.1 subscription). */
  public static SubOptions of(QoS qos) {
    return PLAIN[qos.value()];
  }

  /** Options, sharing the constants when there is nothing but a QoS. */
  public static SubOptions of(
      QoS qos, boolean noLocal, boolean retainAsPublished, int subscriptionId) {
    return !noLocal && !retainAsPublished && subscriptionId == 0
        ? of(qos)
        : new SubOptions(qos, noLocal, retainAsPublished, subscriptionId);
  }
}
