package io.starling.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.UserProperty;
import io.starling.codec.packet.Will;

/** Converts between the client's {@link Message} and the codec's packets. Stateless. */
final class Wire {
  private Wire() {}

  /** The MQTT 5.0 properties of a message (without topic alias). */
  static Properties properties(Message m) {
    Properties.Builder b = Properties.builder();
    if (m.payloadUtf8()) {
      b.add(PropertyId.PAYLOAD_FORMAT_INDICATOR, 1);
    }
    if (m.messageExpirySeconds() >= 0) {
      b.add(PropertyId.MESSAGE_EXPIRY_INTERVAL, m.messageExpirySeconds());
    }
    if (m.contentType() != null) {
      b.add(PropertyId.CONTENT_TYPE, m.contentType());
    }
    if (m.responseTopic() != null) {
      b.add(PropertyId.RESPONSE_TOPIC, m.responseTopic());
    }
    if (m.correlationData() != null) {
      b.add(PropertyId.CORRELATION_DATA, BinaryData.of(m.correlationData()));
    }
    for (UserProperty p : m.userProperties()) {
      b.userProperty(p.name(), p.value());
    }
    return b.build();
  }

  /**
   * A PUBLISH for {@code m}; its payload is a new wrapper of the message's bytes (the encoder
   * releases it).
   *
   * @param topicAlias the alias to send, or 0 for none
   * @param sendTopic false to leave the topic out because the alias stands for it
   */
  static Publish publish(
      Message m,
      MqttVersion version,
      int packetId,
      boolean dup,
      int topicAlias,
      boolean sendTopic) {
    Properties props = Properties.EMPTY;
    if (version.isV5()) {
      props = properties(m);
      if (topicAlias > 0) {
        props = props.with(PropertyId.TOPIC_ALIAS, topicAlias);
      }
    }
    return new Publish(
        sendTopic ? m.topic() : "",
        m.qos(),
        m.retain(),
        dup,
        packetId,
        props,
        Unpooled.wrappedBuffer(m.payload()));
  }

  /**
   * The message a received PUBLISH carries; copies the payload (the caller releases the packet).
   */
  static Message message(Publish p, String topic) {
    ByteBuf payload = p.payload();
    Message.Builder b =
        Message.builder(topic)
            .payload(ByteBufUtil.getBytes(payload, payload.readerIndex(), payload.readableBytes()))
            .qos(p.qos())
            .retain(p.retained());
    Properties props = p.properties();
    if (!props.isEmpty()) {
      props.longValue(PropertyId.MESSAGE_EXPIRY_INTERVAL).ifPresent(b::messageExpirySeconds);
      props.stringValue(PropertyId.RESPONSE_TOPIC).ifPresent(b::responseTopic);
      props.stringValue(PropertyId.CONTENT_TYPE).ifPresent(b::contentType);
      props
          .binaryValue(PropertyId.CORRELATION_DATA)
          .ifPresent(d -> b.correlationData(d.toByteArray()));
      props.intValue(PropertyId.PAYLOAD_FORMAT_INDICATOR).ifPresent(v -> b.payloadUtf8(v == 1));
      for (UserProperty u : props.userProperties()) {
        b.userProperty(u.name(), u.value());
      }
    }
    return b.build();
  }

  /** The CONNECT for {@code config}. */
  static Connect connect(ClientConfig c) {
    Properties props = Properties.EMPTY;
    Will will = null;
    if (c.will() != null) {
      Message w = c.will();
      will =
          new Will(
              w.topic(),
              BinaryData.of(w.payload()),
              w.qos(),
              w.retain(),
              c.version().isV5() ? properties(w) : Properties.EMPTY);
    }
    if (c.version().isV5()) {
      Properties.Builder b = Properties.builder();
      if (c.sessionExpirySeconds() > 0) {
        b.add(PropertyId.SESSION_EXPIRY_INTERVAL, c.sessionExpirySeconds());
      }
      if (c.receiveMaximum() != 65_535) {
        b.add(PropertyId.RECEIVE_MAXIMUM, c.receiveMaximum());
      }
      if (c.enhancedAuth() != null) {
        b.add(PropertyId.AUTHENTICATION_METHOD, c.enhancedAuth().method());
        byte[] data = c.enhancedAuth().initialData();
        if (data != null) {
          b.add(PropertyId.AUTHENTICATION_DATA, BinaryData.of(data));
        }
      }
      for (UserProperty p : c.connectUserProperties()) {
        b.userProperty(p.name(), p.value());
      }
      props = b.build();
    }
    return new Connect(
        c.version(),
        c.clientId(),
        c.cleanStart(),
        c.keepAliveSeconds(),
        c.username(),
        c.password() == null ? null : BinaryData.of(c.password()),
        will,
        props);
  }

  static boolean isAtLeastOnce(QoS qos) {
    return qos != QoS.AT_MOST_ONCE;
  }
}
