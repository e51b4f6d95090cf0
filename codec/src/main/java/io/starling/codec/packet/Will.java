package io.starling.codec.packet;

import io.starling.codec.QoS;
import java.util.Objects;

/**
 * The will message of a CONNECT, published by the server when the connection ends without a
 * DISCONNECT.
 *
 * @param topic the will topic, a valid topic name
 * @param payload the will payload
 * @param qos the QoS the will is published with
 * @param retain whether the will is published retained
 * @param properties the will properties (MQTT 5.0), {@link Properties#EMPTY} otherwise
 */
public record Will(
    String topic, BinaryData payload, QoS qos, boolean retain, Properties properties) {
  public Will {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(qos, "qos");
    Objects.requireNonNull(properties, "properties");
  }
}
