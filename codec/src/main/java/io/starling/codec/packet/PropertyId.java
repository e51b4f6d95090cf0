package io.starling.codec.packet;

import static io.starling.codec.PacketType.AUTH;
import static io.starling.codec.PacketType.CONNACK;
import static io.starling.codec.PacketType.CONNECT;
import static io.starling.codec.PacketType.DISCONNECT;
import static io.starling.codec.PacketType.PUBACK;
import static io.starling.codec.PacketType.PUBCOMP;
import static io.starling.codec.PacketType.PUBLISH;
import static io.starling.codec.PacketType.PUBREC;
import static io.starling.codec.PacketType.PUBREL;
import static io.starling.codec.PacketType.SUBACK;
import static io.starling.codec.PacketType.SUBSCRIBE;
import static io.starling.codec.PacketType.UNSUBACK;
import static io.starling.codec.PacketType.UNSUBSCRIBE;

import io.starling.codec.PacketType;
import java.util.EnumSet;
import java.util.Set;

/**
 * The MQTT 5.0 properties (specification section 2.2.2.2), each with its wire type and the packets
 * that may carry it. {@link #inWill()} marks the properties of the will in CONNECT's payload.
 */
public enum PropertyId {
  PAYLOAD_FORMAT_INDICATOR(0x01, Type.BYTE, true, PUBLISH),
  MESSAGE_EXPIRY_INTERVAL(0x02, Type.FOUR_BYTE_INTEGER, true, PUBLISH),
  CONTENT_TYPE(0x03, Type.UTF8_STRING, true, PUBLISH),
  RESPONSE_TOPIC(0x08, Type.UTF8_STRING, true, PUBLISH),
  CORRELATION_DATA(0x09, Type.BINARY_DATA, true, PUBLISH),
  SUBSCRIPTION_IDENTIFIER(0x0B, Type.VARIABLE_BYTE_INTEGER, false, PUBLISH, SUBSCRIBE),
  SESSION_EXPIRY_INTERVAL(0x11, Type.FOUR_BYTE_INTEGER, false, CONNECT, CONNACK, DISCONNECT),
  ASSIGNED_CLIENT_IDENTIFIER(0x12, Type.UTF8_STRING, false, CONNACK),
  SERVER_KEEP_ALIVE(0x13, Type.TWO_BYTE_INTEGER, false, CONNACK),
  AUTHENTICATION_METHOD(0x15, Type.UTF8_STRING, false, CONNECT, CONNACK, AUTH),
  AUTHENTICATION_DATA(0x16, Type.BINARY_DATA, false, CONNECT, CONNACK, AUTH),
  REQUEST_PROBLEM_INFORMATION(0x17, Type.BYTE, false, CONNECT),
  WILL_DELAY_INTERVAL(0x18, Type.FOUR_BYTE_INTEGER, true),
  REQUEST_RESPONSE_INFORMATION(0x19, Type.BYTE, false, CONNECT),
  RESPONSE_INFORMATION(0x1A, Type.UTF8_STRING, false, CONNACK),
  SERVER_REFERENCE(0x1C, Type.UTF8_STRING, false, CONNACK, DISCONNECT),
  REASON_STRING(
      0x1F,
      Type.UTF8_STRING,
      false,
      CONNACK,
      PUBACK,
      PUBREC,
      PUBREL,
      PUBCOMP,
      SUBACK,
      UNSUBACK,
      DISCONNECT,
      AUTH),
  RECEIVE_MAXIMUM(0x21, Type.TWO_BYTE_INTEGER, false, CONNECT, CONNACK),
  TOPIC_ALIAS_MAXIMUM(0x22, Type.TWO_BYTE_INTEGER, false, CONNECT, CONNACK),
  TOPIC_ALIAS(0x23, Type.TWO_BYTE_INTEGER, false, PUBLISH),
  MAXIMUM_QOS(0x24, Type.BYTE, false, CONNACK),
  RETAIN_AVAILABLE(0x25, Type.BYTE, false, CONNACK),
  USER_PROPERTY(
      0x26,
      Type.UTF8_STRING_PAIR,
      true,
      CONNECT,
      CONNACK,
      PUBLISH,
      PUBACK,
      PUBREC,
      PUBREL,
      PUBCOMP,
      SUBSCRIBE,
      SUBACK,
      UNSUBSCRIBE,
      UNSUBACK,
      DISCONNECT,
      AUTH),
  MAXIMUM_PACKET_SIZE(0x27, Type.FOUR_BYTE_INTEGER, false, CONNECT, CONNACK),
  WILDCARD_SUBSCRIPTION_AVAILABLE(0x28, Type.BYTE, false, CONNACK),
  SUBSCRIPTION_IDENTIFIER_AVAILABLE(0x29, Type.BYTE, false, CONNACK),
  SHARED_SUBSCRIPTION_AVAILABLE(0x2A, Type.BYTE, false, CONNACK);

  /** How a property's value is written. */
  public enum Type {
    BYTE,
    TWO_BYTE_INTEGER,
    FOUR_BYTE_INTEGER,
    VARIABLE_BYTE_INTEGER,
    UTF8_STRING,
    BINARY_DATA,
    UTF8_STRING_PAIR
  }

  private static final PropertyId[] BY_ID = new PropertyId[0x80];

  static {
    for (PropertyId p : values()) {
      BY_ID[p.id] = p;
    }
  }

  private final int id;
  private final Type type;
  private final boolean inWill;
  private final Set<PacketType> packets;

  PropertyId(int id, Type type, boolean inWill, PacketType... packets) {
    this.id = id;
    this.type = type;
    this.inWill = inWill;
    this.packets =
        packets.length == 0 ? EnumSet.noneOf(PacketType.class) : EnumSet.of(packets[0], packets);
  }

  /** The identifier byte. */
  public int id() {
    return id;
  }

  /** The wire type of the value. */
  public Type type() {
    return type;
  }

  /** Whether the property may appear in the will properties of CONNECT. */
  public boolean inWill() {
    return inWill;
  }

  /** Whether the property may appear in the given packet's own properties. */
  public boolean isAllowedIn(PacketType packetType) {
    return packets.contains(packetType);
  }

  /**
   * Whether the property may appear more than once: user properties anywhere, subscription
   * identifiers in PUBLISH (one per matching subscription).
   */
  public boolean isRepeatableIn(PacketType packetType) {
    return this == USER_PROPERTY || (this == SUBSCRIPTION_IDENTIFIER && packetType == PUBLISH);
  }

  /** The property for an identifier, or {@code null} for an unknown one. */
  public static PropertyId of(int id) {
    return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
  }
}
