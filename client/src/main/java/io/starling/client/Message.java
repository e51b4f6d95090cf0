package io.starling.client;

import io.starling.codec.QoS;
import io.starling.codec.packet.UserProperty;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An application message, sent or received. Immutable; build one with {@link #builder(String)} or
 * {@link #of(String, String)}. The MQTT 5.0 properties are ignored when the client speaks 3.1.1.
 * Two messages are equal when every field is, the byte arrays compared by content.
 *
 * @param topic the topic name
 * @param payload the payload bytes; do not modify the array after building
 * @param qos the quality of service
 * @param retain the RETAIN flag
 * @param userProperties user properties in order (MQTT 5.0)
 * @param messageExpirySeconds seconds the message may live, or -1 for none (MQTT 5.0)
 * @param responseTopic where a response should go, or {@code null} (MQTT 5.0)
 * @param correlationData bytes that tie a response to its request, or {@code null} (MQTT 5.0)
 * @param contentType the content type, or {@code null} (MQTT 5.0)
 * @param payloadUtf8 whether the payload format indicator says UTF-8 text (MQTT 5.0)
 */
public record Message(
    String topic,
    byte[] payload,
    QoS qos,
    boolean retain,
    List<UserProperty> userProperties,
    long messageExpirySeconds,
    String responseTopic,
    byte[] correlationData,
    String contentType,
    boolean payloadUtf8) {
  public Message {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(qos, "qos");
    userProperties = List.copyOf(userProperties);
    if (messageExpirySeconds < -1 || messageExpirySeconds > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException(
          "messageExpirySeconds must be -1 or 0 to 4294967295: " + messageExpirySeconds);
    }
  }

  /** A QoS 0 message with a UTF-8 payload. */
  public static Message of(String topic, String payload) {
    return builder(topic).payload(payload).build();
  }

  /** A builder for a message to {@code topic}, QoS 0, empty payload. */
  public static Builder builder(String topic) {
    return new Builder(topic);
  }

  /** The payload decoded as UTF-8. */
  public String payloadAsString() {
    return new String(payload, StandardCharsets.UTF_8);
  }

  /** The value of the first user property named {@code name}, or {@code null}. */
  public String userProperty(String name) {
    for (UserProperty p : userProperties) {
      if (p.name().equals(name)) {
        return p.value();
      }
    }
    return null;
  }

  /** A builder with this message's fields, to change some of them. */
  public Builder toBuilder() {
    Builder b = new Builder(topic).payload(payload).qos(qos).retain(retain);
    b.userProperties.addAll(userProperties);
    return b.messageExpirySeconds(messageExpirySeconds)
        .responseTopic(responseTopic)
        .correlationData(correlationData)
        .contentType(contentType)
        .payloadUtf8(payloadUtf8);
  }

  /**
   * The response to this request message: sent to its response topic with its correlation data.
   *
   * @throws IllegalStateException if this message has no response topic
   */
  public Message.Builder replyBuilder() {
    if (responseTopic == null) {
      throw new IllegalStateException("message on " + topic + " has no response topic");
    }
    return builder(responseTopic).qos(qos).correlationData(correlationData);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Message m
        && topic.equals(m.topic)
        && Arrays.equals(payload, m.payload)
        && qos == m.qos
        && retain == m.retain
        && userProperties.equals(m.userProperties)
        && messageExpirySeconds == m.messageExpirySeconds
        && Objects.equals(responseTopic, m.responseTopic)
        && Arrays.equals(correlationData, m.correlationData)
        && Objects.equals(contentType, m.contentType)
        && payloadUtf8 == m.payloadUtf8;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        topic, Arrays.hashCode(payload), qos, retain, userProperties, responseTopic);
  }

  @Override
  public String toString() {
    return "Message[topic="
        + topic
        + ", qos="
        + qos.value()
        + ", retain="
        + retain
        + ", payload="
        + payload.length
        + " bytes]";
  }

  /** Builds a {@link Message}. Not thread-safe. */
  public static final class Builder {
    private String topic;
    private byte[] payload = new byte[0];
    private QoS qos = QoS.AT_MOST_ONCE;
    private boolean retain;
    private final List<UserProperty> userProperties = new ArrayList<>();
    private long messageExpirySeconds = -1;
    private String responseTopic;
    private byte[] correlationData;
    private String contentType;
    private boolean payloadUtf8;

    private Builder(String topic) {
      this.topic = Objects.requireNonNull(topic, "topic");
    }

    public Builder topic(String topic) {
      this.topic = Objects.requireNonNull(topic, "topic");
      return this;
    }

    public Builder payload(byte[] payload) {
      this.payload = Objects.requireNonNull(payload, "payload");
      return this;
    }

    /** Sets a UTF-8 payload. */
    public Builder payload(String payload) {
      return payload(payload.getBytes(StandardCharsets.UTF_8));
    }

    public Builder qos(QoS qos) {
      this.qos = Objects.requireNonNull(qos, "qos");
      return this;
    }

    /** Sets the QoS from its number, 0 to 2. */
    public Builder qos(int qos) {
      return qos(QoS.of(qos));
    }

    public Builder retain(boolean retain) {
      this.retain = retain;
      return this;
    }

    /** Adds a user property (MQTT 5.0); names may repeat. */
    public Builder userProperty(String name, String value) {
      userProperties.add(new UserProperty(name, value));
      return this;
    }

    /** Seconds the broker may keep the message for subscribers, -1 for no limit (MQTT 5.0). */
    public Builder messageExpirySeconds(long seconds) {
      this.messageExpirySeconds = seconds;
      return this;
    }

    public Builder responseTopic(String responseTopic) {
      this.responseTopic = responseTopic;
      return this;
    }

    public Builder correlationData(byte[] correlationData) {
      this.correlationData = correlationData;
      return this;
    }

    public Builder contentType(String contentType) {
      this.contentType = contentType;
      return this;
    }

    public Builder payloadUtf8(boolean payloadUtf8) {
      this.payloadUtf8 = payloadUtf8;
      return this;
    }

    public Message build() {
      return new Message(
          topic,
          payload,
          qos,
          retain,
          userProperties,
          messageExpirySeconds,
          responseTopic,
          correlationData,
          contentType,
          payloadUtf8);
    }
  }
}
