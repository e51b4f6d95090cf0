package io.starling.testkit;

import io.netty.buffer.Unpooled;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.codec.packet.Will;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Short builders for the packets tests send. */
public final class Packets {
  private Packets() {}

  /** A 3.1.1 CONNECT with keep-alive 60 and no will. */
  public static Connect connect(String clientId, boolean cleanSession) {
    return connect(MqttVersion.V3_1_1, clientId, cleanSession, 60, null);
  }

  public static Connect connect(
      MqttVersion version, String clientId, boolean cleanSession, int keepAliveSeconds, Will will) {
    return new Connect(
        version, clientId, cleanSession, keepAliveSeconds, null, null, will, Properties.EMPTY);
  }

  /** A 5.0 CONNECT with clean start, keep-alive 60, no will and the given properties. */
  public static Connect connect5(String clientId, Properties properties) {
    return connect5(clientId, true, 60, null, properties);
  }

  /** A 5.0 CONNECT. */
  public static Connect connect5(
      String clientId, boolean cleanStart, int keepAliveSeconds, Will will, Properties properties) {
    return new Connect(
        MqttVersion.V5, clientId, cleanStart, keepAliveSeconds, null, null, will, properties);
  }

  /** A 5.0 PUBLISH with a UTF-8 payload and the given properties. */
  public static Publish publish5(
      String topic, String payload, QoS qos, int packetId, Properties properties) {
    return new Publish(
        topic,
        qos,
        false,
        false,
        qos == QoS.AT_MOST_ONCE ? 0 : packetId,
        properties,
        Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8));
  }

  /** Properties holding one property, for short builders: {@code props(TOPIC_ALIAS, 3)}. */
  public static Properties props(PropertyId id, Object value) {
    return Properties.builder().add(id, value).build();
  }

  /** A will with a UTF-8 payload. */
  public static Will will(String topic, String payload, QoS qos, boolean retain) {
    return new Will(
        topic,
        BinaryData.of(payload.getBytes(StandardCharsets.UTF_8)),
        qos,
        retain,
        Properties.EMPTY);
  }

  /** A PUBLISH with a UTF-8 payload. */
  public static Publish publish(String topic, String payload, QoS qos, int packetId) {
    return new Publish(
        topic,
        qos,
        false,
        false,
        qos == QoS.AT_MOST_ONCE ? 0 : packetId,
        Properties.EMPTY,
        Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8));
  }

  /** A SUBSCRIBE for one filter. */
  public static Subscribe subscribe(int packetId, String filter, QoS qos) {
    return new Subscribe(packetId, List.of(Subscription.of(filter, qos)), Properties.EMPTY);
  }

  /** The payload of a PUBLISH as UTF-8 text. */
  public static String text(Publish p) {
    return p.payload().toString(StandardCharsets.UTF_8);
  }
}
