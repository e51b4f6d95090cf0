package io.starling.codec.packet;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;
import io.starling.codec.PacketType;
import io.starling.codec.QoS;
import java.util.Objects;

/**
 * PUBLISH: an application message. The payload is a reference-counted buffer, usually a slice of
 * the buffer the packet was read into; this record's reference-counting methods act on it. Whoever
 * receives a decoded {@code Publish} releases it once.
 *
 * @param topic the topic name; empty only in MQTT 5.0 when a topic alias stands for it
 * @param qos the quality of service
 * @param retained the RETAIN flag (named so because {@code retain()} is reference counting)
 * @param dup the DUP flag; always false at QoS 0 [MQTT-3.3.1-2]
 * @param packetId the packet identifier, 1 to 65535 at QoS 1 and 2, 0 at QoS 0
 * @param properties the PUBLISH properties (MQTT 5.0)
 * @param payload the application payload
 */
public record Publish(
    String topic,
    QoS qos,
    boolean retained,
    boolean dup,
    int packetId,
    Properties properties,
    ByteBuf payload)
    implements MqttPacket, ReferenceCounted {
  public Publish {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(qos, "qos");
    Objects.requireNonNull(properties, "properties");
    Objects.requireNonNull(payload, "payload");
    if (qos == QoS.AT_MOST_ONCE ? packetId != 0 : packetId < 1 || packetId > 0xFFFF) {
      throw new IllegalArgumentException("packet id " + packetId + " does not fit QoS " + qos);
    }
    if (dup && qos == QoS.AT_MOST_ONCE) {
      throw new IllegalArgumentException("DUP must be 0 at QoS 0 [MQTT-3.3.1-2]");
    }
  }

  @Override
  public PacketType type() {
    return PacketType.PUBLISH;
  }

  /** A copy for another delivery: same topic, properties and payload buffer (not retained). */
  public Publish withDelivery(QoS qos, boolean retained, boolean dup, int packetId) {
    return new Publish(topic, qos, retained, dup, packetId, properties, payload);
  }

  /** A copy with other properties. */
  public Publish withProperties(Properties properties) {
    return new Publish(topic, qos, retained, dup, packetId, properties, payload);
  }

  /** A copy with another topic and properties (topic aliases). */
  public Publish withTopic(String topic, Properties properties) {
    return new Publish(topic, qos, retained, dup, packetId, properties, payload);
  }

  /** A copy with another payload buffer; ownership of {@code payload} passes to the copy. */
  public Publish withPayload(ByteBuf payload) {
    return new Publish(topic, qos, retained, dup, packetId, properties, payload);
  }

  @Override
  public int refCnt() {
    return payload.refCnt();
  }

  @Override
  public Publish retain() {
    payload.retain();
    return this;
  }

  @Override
  public Publish retain(int increment) {
    payload.retain(increment);
    return this;
  }

  @Override
  public Publish touch() {
    payload.touch();
    return this;
  }

  @Override
  public Publish touch(Object hint) {
    payload.touch(hint);
    return this;
  }

  @Override
  public boolean release() {
    return payload.release();
  }

  @Override
  public boolean release(int decrement) {
    return payload.release(decrement);
  }

  @Override
  public String toString() {
    return "Publish[topic="
        + topic
        + ", qos="
        + qos.value()
        + ", retain="
        + retained
        + ", dup="
        + dup
        + ", packetId="
        + packetId
        + ", properties="
        + properties
        + ", payload="
        + payload.readableBytes()
        + " bytes]";
  }
}
