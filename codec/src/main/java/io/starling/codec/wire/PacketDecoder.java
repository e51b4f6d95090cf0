package io.starling.codec.wire;

import static io.starling.codec.ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR;
import static io.starling.codec.ReasonCode.MALFORMED_PACKET;
import static io.starling.codec.ReasonCode.PROTOCOL_ERROR;
import static io.starling.codec.ReasonCode.TOPIC_ALIAS_INVALID;
import static io.starling.codec.ReasonCode.TOPIC_FILTER_INVALID;
import static io.starling.codec.ReasonCode.TOPIC_NAME_INVALID;
import static io.starling.codec.ReasonCode.UNSUPPORTED_PROTOCOL_VERSION;

import io.netty.buffer.ByteBuf;
import io.starling.codec.CodecLimits;
import io.starling.codec.MalformedPacketException;
import io.starling.codec.MqttVersion;
import io.starling.codec.PacketType;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.Topics;
import io.starling.codec.Utf8;
import io.starling.codec.VariableByteInteger;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Property;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.RetainHandling;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.codec.packet.UnsubAck;
import io.starling.codec.packet.Unsubscribe;
import io.starling.codec.packet.UserProperty;
import io.starling.codec.packet.Will;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the body of one framed packet into a {@link MqttPacket}, checking everything the
 * specifications call malformed or a protocol error at the wire level. Negotiated limits (maximum
 * QoS, topic alias maximum, ...) are the broker's to check.
 *
 * <p>Not thread-safe: one instance per connection, used on its event loop.
 */
public final class PacketDecoder {
  private final CodecLimits limits;
  // The packet being decoded, for the error it may raise.
  private PacketType type;
  private MqttVersion version;

  public PacketDecoder(CodecLimits limits) {
    this.limits = limits;
  }

  /**
   * Decodes one packet.
   *
   * @param firstByte the first fixed-header byte: type in the high nibble, flags in the low one
   * @param body exactly the packet's remaining length of bytes; read completely or not at all. A
   *     decoded {@link Publish} holds a retained slice of it.
   * @param version the connection's protocol version, or {@code null} before CONNECT (only a
   *     CONNECT is then accepted)
   * @throws MalformedPacketException for anything the specification refuses
   */
  public MqttPacket decode(int firstByte, ByteBuf body, MqttVersion version) {
    this.type = PacketType.of(firstByte >> 4);
    this.version = version;
    if (type == null || (type == PacketType.AUTH && version != MqttVersion.V5)) {
      type = null;
      throw fail(MALFORMED_PACKET, "reserved packet type " + ((firstByte >> 4) & 0x0F));
    }
    int flags = firstByte & 0x0F;
    int required = type.requiredFlags();
    // MQTT 3.1 let PUBREL, SUBSCRIBE and UNSUBSCRIBE carry DUP on a retry.
    boolean v31Dup = version == MqttVersion.V3_1 && required == 0b0010 && flags == 0b1010;
    if (required >= 0 && flags != required && !v31Dup) {
      throw fail(MALFORMED_PACKET, "reserved fixed-header flags of " + type + " are " + flags);
    }
    if (version == null && type != PacketType.CONNECT) {
      throw fail(PROTOCOL_ERROR, "the first packet must be CONNECT, not " + type);
    }
    MqttPacket packet =
        switch (type) {
          case CONNECT -> decodeConnect(body);
          case CONNACK -> decodeConnAck(body);
          case PUBLISH -> decodePublish(flags, body);
          case PUBACK, PUBREC, PUBREL, PUBCOMP -> decodeAck(body);
          case SUBSCRIBE -> decodeSubscribe(body);
          case SUBACK -> decodeSubAck(body);
          case UNSUBSCRIBE -> decodeUnsubscribe(body);
          case UNSUBACK -> decodeUnsubAck(body);
          case PINGREQ -> emptyBody(body, PingReq.INSTANCE);
          case PINGRESP -> emptyBody(body, PingResp.INSTANCE);
          case DISCONNECT -> decodeDisconnect(body);
          case AUTH -> decodeAuth(body);
        };
    if (body.isReadable()) {
      if (packet instanceof Publish p) {
        p.release();
      }
      throw fail(MALFORMED_PACKET, body.readableBytes() + " bytes left over after " + type);
    }
    return packet;
  }

  private MalformedPacketException fail(ReasonCode reason, String message) {
    return new MalformedPacketException(reason, version, type, message);
  }

  // ---- CONNECT ------------------------------------------------------------------------------

  /*
   * CONNECT variable header:
   *   protocol name   UTF-8 string ("MQTT", or "MQIsdp" for 3.1)
   *   protocol level  1 byte (3, 4 or 5)
   *   connect flags   1 byte: 7 user name, 6 password, 5 will retain, 4-3 will QoS, 2 will,
   *                           1 clean session/start, 0 reserved (must be 0)
   *   keep alive      2 bytes
   *   properties      (5.0 only)
   * payload: client id, [will properties (5.0), will topic, will payload], [user name], [password]
   */
  private Connect decodeConnect(ByteBuf in) {
    version = null; // not known until the level is read
    String protocolName = readUtf8(in);
    int level = readByte(in);
    MqttVersion v = MqttVersion.of(protocolName, level);
    if (v == null) {
      if (!protocolName.equals("MQTT") && !protocolName.equals("MQIsdp")) {
        throw fail(MALFORMED_PACKET, "unknown protocol name [MQTT-3.1.2-1]");
      }
      throw fail(
          UNSUPPORTED_PROTOCOL_VERSION,
          "unsupported protocol level " + level + " for " + protocolName + " [MQTT-3.1.2-2]");
    }
    version = v;
    int flags = readByte(in);
    if ((flags & 0x01) != 0) {
      throw fail(MALFORMED_PACKET, "reserved connect flag is set [MQTT-3.1.2-3]");
    }
    boolean cleanStart = (flags & 0x02) != 0;
    boolean willFlag = (flags & 0x04) != 0;
    int willQos = (flags >> 3) & 0x03;
    boolean willRetain = (flags & 0x20) != 0;
    boolean passwordFlag = (flags & 0x40) != 0;
    boolean usernameFlag = (flags & 0x80) != 0;
    if (willQos == 3) {
      throw fail(MALFORMED_PACKET, "will QoS is 3 [MQTT-3.1.2-14]");
    }
    if (!willFlag && (willQos != 0 || willRetain)) {
      throw fail(MALFORMED_PACKET, "will QoS or retain set without a will [MQTT-3.1.2-11]");
    }
    if (passwordFlag && !usernameFlag && !v.isV5()) {
      throw fail(MALFORMED_PACKET, "password without a user name [MQTT-3.1.2-22]");
    }
    int keepAlive = readUnsignedShort(in);
    Properties properties = readProperties(in, PacketType.CONNECT);
    String clientId = readUtf8(in);
    Will will = null;
    if (willFlag) {
      Properties willProperties = v.isV5() ? readProperties(in, null) : Properties.EMPTY;
      String willTopic = readUtf8(in);
      String problem = Topics.topicNameProblem(willTopic);
      if (problem != null) {
        throw fail(TOPIC_NAME_INVALID, "will " + problem);
      }
      BinaryData willPayload = readBinary(in);
      will = new Will(willTopic, willPayload, QoS.of(willQos), willRetain, willProperties);
    }
    String username = usernameFlag ? readUtf8(in) : null;
    BinaryData password = passwordFlag ? readBinary(in) : null;
    return new Connect(v, clientId, cleanStart, keepAlive, username, password, will, properties);
  }

  private ConnAck decodeConnAck(ByteBuf in) {
    int ackFlags = readByte(in);
    if ((ackFlags & 0xFE) != 0) {
      throw fail(MALFORMED_PACKET, "reserved CONNACK flags are set [MQTT-3.2.2-1]");
    }
    boolean sessionPresent = (ackFlags & 0x01) != 0;
    int code = readByte(in);
    ReasonCode reason;
    if (version.isV5()) {
      reason = reasonCode(code);
    } else {
      reason = ReasonCode.ofV3ConnectReturnCode(code);
      if (reason == null) {
        throw fail(MALFORMED_PACKET, "unknown CONNACK return code " + code);
      }
    }
    if (sessionPresent && reason != ReasonCode.SUCCESS) {
      throw fail(PROTOCOL_ERROR, "session present with a refusal [MQTT-3.2.2-4]");
    }
    Properties properties = readProperties(in, PacketType.CONNACK);
    return new ConnAck(sessionPresent, reason, properties);
  }

  // ---- PUBLISH ------------------------------------------------------------------------------

  /*
   * PUBLISH fixed-header flags: bit 3 DUP, bits 2-1 QoS, bit 0 RETAIN.
   * variable header: topic name, packet identifier (QoS 1 and 2 only), properties (5.0)
   * payload: the rest of the packet
   */
  private Publish decodePublish(int flags, ByteBuf in) {
    boolean dup = (flags & 0x08) != 0;
    int qosValue = (flags >> 1) & 0x03;
    boolean retain = (flags & 0x01) != 0;
    if (qosValue == 3) {
      throw fail(MALFORMED_PACKET, "PUBLISH QoS is 3 [MQTT-3.3.1-4]");
    }
    if (dup && qosValue == 0) {
      throw fail(MALFORMED_PACKET, "DUP set on a QoS 0 PUBLISH [MQTT-3.3.1-2]");
    }
    String topic = readUtf8(in);
    int packetId = qosValue > 0 ? readPacketId(in) : 0;
    Properties properties = readProperties(in, PacketType.PUBLISH);
    if (topic.isEmpty() && version.isV5() && properties.contains(PropertyId.TOPIC_ALIAS)) {
      // An empty topic with a topic alias refers to the alias's topic [MQTT-3.3.2-12].
    } else if (topic.isEmpty() && version.isV5()) {
      throw fail(PROTOCOL_ERROR, "an empty topic name without a topic alias (section 3.3.2.1)");
    } else {
      String problem = Topics.topicNameProblem(topic);
      if (problem != null) {
        throw fail(TOPIC_NAME_INVALID, problem + " [MQTT-3.3.2-2]");
      }
    }
    ByteBuf payload = in.readRetainedSlice(in.readableBytes());
    return new Publish(topic, QoS.of(qosValue), retain, dup, packetId, properties, payload);
  }

  /*
   * PUBACK, PUBREC, PUBREL, PUBCOMP: packet identifier; in 5.0 an optional reason code
   * (absent means Success) and optional properties (absent means none).
   */
  private MqttPacket decodeAck(ByteBuf in) {
    int packetId = readPacketId(in);
    ReasonCode reason = ReasonCode.SUCCESS;
    Properties properties = Properties.EMPTY;
    if (version.isV5() && in.isReadable()) {
      reason = reasonCode(readByte(in));
      properties = readProperties(in, type);
    }
    return switch (type) {
      case PUBACK -> new PubAck(packetId, reason, properties);
      case PUBREC -> new PubRec(packetId, reason, properties);
      case PUBREL -> new PubRel(packetId, reason, properties);
      default -> new PubComp(packetId, reason, properties);
    };
  }

  // ---- SUBSCRIBE and UNSUBSCRIBE ------------------------------------------------------------

  /*
   * SUBSCRIBE: packet identifier, properties (5.0), then one or more of
   *   topic filter   UTF-8 string
   *   options        1 byte: 3.1.1 bits 7-2 reserved, 1-0 QoS;
   *                  5.0 bits 7-6 reserved, 5-4 retain handling, 3 retain as published,
   *                      2 no local, 1-0 QoS
   */
  private Subscribe decodeSubscribe(ByteBuf in) {
    int packetId = readPacketId(in);
    Properties properties = readProperties(in, PacketType.SUBSCRIBE);
    List<Subscription> subscriptions = new ArrayList<>(4);
    while (in.isReadable()) {
      checkFilterCount(subscriptions.size());
      String filter = readFilter(in);
      int options = readByte(in);
      int qos = options & 0x03;
      if (qos == 3) {
        throw fail(MALFORMED_PACKET, "requested QoS is 3 [MQTT-3.8.3-4]");
      }
      if (!version.isV5()) {
        if ((options & 0xFC) != 0) {
          throw fail(MALFORMED_PACKET, "reserved subscription option bits are set [MQTT-3.8.3-4]");
        }
        subscriptions.add(Subscription.of(filter, QoS.of(qos)));
        continue;
      }
      if ((options & 0xC0) != 0) {
        throw fail(MALFORMED_PACKET, "reserved subscription option bits are set [MQTT-3.8.3-5]");
      }
      boolean noLocal = (options & 0x04) != 0;
      boolean retainAsPublished = (options & 0x08) != 0;
      int retainHandling = (options >> 4) & 0x03;
      if (retainHandling == 3) {
        throw fail(PROTOCOL_ERROR, "retain handling is 3");
      }
      if (noLocal && Topics.isShared(filter)) {
        throw fail(PROTOCOL_ERROR, "no local on a shared subscription [MQTT-3.8.3-4]");
      }
      subscriptions.add(
          new Subscription(
              filter, QoS.of(qos), noLocal, retainAsPublished, RetainHandling.of(retainHandling)));
    }
    if (subscriptions.isEmpty()) {
      throw fail(PROTOCOL_ERROR, "SUBSCRIBE without a topic filter [MQTT-3.8.3-3]");
    }
    return new Subscribe(packetId, subscriptions, properties);
  }

  private SubAck decodeSubAck(ByteBuf in) {
    int packetId = readPacketId(in);
    Properties properties = readProperties(in, PacketType.SUBACK);
    List<ReasonCode> codes = new ArrayList<>(4);
    while (in.isReadable()) {
      checkFilterCount(codes.size());
      int code = readByte(in);
      ReasonCode reason;
      if (version.isV5()) {
        reason = reasonCode(code);
      } else {
        reason = ReasonCode.of(code);
        if (code > 2 && code != 0x80) {
          throw fail(MALFORMED_PACKET, "unknown SUBACK return code " + code);
        }
      }
      codes.add(reason);
    }
    if (codes.isEmpty()) {
      throw fail(PROTOCOL_ERROR, "SUBACK without a return code");
    }
    return new SubAck(packetId, codes, properties);
  }

  private Unsubscribe decodeUnsubscribe(ByteBuf in) {
    int packetId = readPacketId(in);
    Properties properties = readProperties(in, PacketType.UNSUBSCRIBE);
    List<String> filters = new ArrayList<>(4);
    while (in.isReadable()) {
      checkFilterCount(filters.size());
      filters.add(readFilter(in));
    }
    if (filters.isEmpty()) {
      throw fail(PROTOCOL_ERROR, "UNSUBSCRIBE without a topic filter [MQTT-3.10.3-2]");
    }
    return new Unsubscribe(packetId, filters, properties);
  }

  private UnsubAck decodeUnsubAck(ByteBuf in) {
    int packetId = readPacketId(in);
    if (!version.isV5()) {
      return new UnsubAck(packetId, List.of(), Properties.EMPTY);
    }
    Properties properties = readProperties(in, PacketType.UNSUBACK);
    List<ReasonCode> codes = new ArrayList<>(4);
    while (in.isReadable()) {
      checkFilterCount(codes.size());
      codes.add(reasonCode(readByte(in)));
    }
    if (codes.isEmpty()) {
      throw fail(PROTOCOL_ERROR, "UNSUBACK without a reason code");
    }
    return new UnsubAck(packetId, codes, properties);
  }

  private void checkFilterCount(int sofar) {
    if (sofar >= limits.maxFiltersPerPacket()) {
      throw fail(
          IMPLEMENTATION_SPECIFIC_ERROR,
          "more than " + limits.maxFiltersPerPacket() + " topic filters in one packet");
    }
  }

  private String readFilter(ByteBuf in) {
    String filter = readUtf8(in);
    String problem = Topics.topicFilterProblem(filter, version);
    if (problem != null) {
      throw fail(TOPIC_FILTER_INVALID, problem);
    }
    return filter;
  }

  // ---- the rest -----------------------------------------------------------------------------

  private MqttPacket emptyBody(ByteBuf in, MqttPacket packet) {
    if (in.isReadable()) {
      throw fail(MALFORMED_PACKET, type + " must have no body");
    }
    return packet;
  }

  private Disconnect decodeDisconnect(ByteBuf in) {
    if (!version.isV5() || !in.isReadable()) {
      return (Disconnect) emptyBody(in, Disconnect.NORMAL);
    }
    ReasonCode reason = reasonCode(readByte(in));
    return new Disconnect(reason, readProperties(in, PacketType.DISCONNECT));
  }

  private Auth decodeAuth(ByteBuf in) {
    if (!in.isReadable()) {
      return new Auth(ReasonCode.SUCCESS, Properties.EMPTY);
    }
    ReasonCode reason = reasonCode(readByte(in));
    return new Auth(reason, readProperties(in, PacketType.AUTH));
  }

  private ReasonCode reasonCode(int value) {
    ReasonCode reason = ReasonCode.of(value);
    if (reason == null || !reason.isAllowedIn(type)) {
      throw fail(MALFORMED_PACKET, "reason code 0x" + Integer.toHexString(value) + " in " + type);
    }
    return reason;
  }

  // ---- properties ---------------------------------------------------------------------------

  /**
   * Reads an MQTT 5.0 property block (nothing before 5.0, and nothing when a 5.0 acknowledgement
   * ends before it). {@code packet} null means the will properties of CONNECT.
   */
  private Properties readProperties(ByteBuf in, PacketType packet) {
    if (!version.isV5() || (!in.isReadable() && isOptionalPropertyBlock(packet))) {
      return Properties.EMPTY;
    }
    int length = readVarInt(in);
    if (length == 0) {
      return Properties.EMPTY;
    }
    if (length > in.readableBytes()) {
      throw fail(MALFORMED_PACKET, "property length runs past the packet");
    }
    ByteBuf block = in.readSlice(length);
    List<Property> entries = new ArrayList<>(4);
    long seen = 0;
    int userProperties = 0;
    while (block.isReadable()) {
      int idValue = readVarInt(block);
      PropertyId id = PropertyId.of(idValue);
      boolean allowed = id != null && (packet == null ? id.inWill() : id.isAllowedIn(packet));
      if (!allowed) {
        throw fail(
            MALFORMED_PACKET,
            "property 0x"
                + Integer.toHexString(idValue)
                + " is not allowed in "
                + (packet == null ? "will properties" : packet.toString()));
      }
      long bit = 1L << id.id();
      if ((seen & bit) != 0 && !id.isRepeatableIn(packet == null ? PacketType.CONNECT : packet)) {
        throw fail(PROTOCOL_ERROR, "property " + id + " appears twice");
      }
      seen |= bit;
      if (id == PropertyId.USER_PROPERTY && ++userProperties > limits.maxUserProperties()) {
        throw fail(
            IMPLEMENTATION_SPECIFIC_ERROR,
            "more than " + limits.maxUserProperties() + " user properties");
      }
      entries.add(new Property(id, readPropertyValue(block, id)));
    }
    return Properties.of(entries);
  }

  /** Acknowledgements and DISCONNECT/AUTH may end before their property length. */
  private static boolean isOptionalPropertyBlock(PacketType packet) {
    return packet == PacketType.PUBACK
        || packet == PacketType.PUBREC
        || packet == PacketType.PUBREL
        || packet == PacketType.PUBCOMP
        || packet == PacketType.DISCONNECT
        || packet == PacketType.AUTH;
  }

  private Object readPropertyValue(ByteBuf in, PropertyId id) {
    Object value =
        switch (id.type()) {
          case BYTE -> readByte(in);
          case TWO_BYTE_INTEGER -> readUnsignedShort(in);
          case FOUR_BYTE_INTEGER -> readUnsignedInt(in);
          case VARIABLE_BYTE_INTEGER -> readVarInt(in);
          case UTF8_STRING -> readUtf8(in);
          case BINARY_DATA -> readBinary(in);
          case UTF8_STRING_PAIR -> new UserProperty(readUtf8(in), readUtf8(in));
        };
    checkPropertyValue(id, value);
    return value;
  }

  private void checkPropertyValue(PropertyId id, Object value) {
    switch (id) {
      case PAYLOAD_FORMAT_INDICATOR,
          REQUEST_PROBLEM_INFORMATION,
          REQUEST_RESPONSE_INFORMATION,
          MAXIMUM_QOS,
          RETAIN_AVAILABLE,
          WILDCARD_SUBSCRIPTION_AVAILABLE,
          SUBSCRIPTION_IDENTIFIER_AVAILABLE,
          SHARED_SUBSCRIPTION_AVAILABLE -> {
        if ((Integer) value > 1) {
          throw fail(PROTOCOL_ERROR, id + " must be 0 or 1, not " + value);
        }
      }
      case TOPIC_ALIAS -> {
        if ((Integer) value == 0) {
          throw fail(TOPIC_ALIAS_INVALID, "a topic alias of 0 is not permitted [MQTT-3.3.2-8]");
        }
      }
      case RECEIVE_MAXIMUM, SUBSCRIPTION_IDENTIFIER -> {
        if ((Integer) value == 0) {
          throw fail(PROTOCOL_ERROR, id + " must not be 0");
        }
      }
      case MAXIMUM_PACKET_SIZE -> {
        if ((Long) value == 0) {
          throw fail(PROTOCOL_ERROR, id + " must not be 0");
        }
      }
      case RESPONSE_TOPIC -> {
        String problem = Topics.topicNameProblem((String) value);
        if (problem != null) {
          throw fail(PROTOCOL_ERROR, "response topic: " + problem);
        }
      }
      default -> {}
    }
  }

  // ---- primitive fields ---------------------------------------------------------------------

  private void need(ByteBuf in, int bytes) {
    if (in.readableBytes() < bytes) {
      throw fail(MALFORMED_PACKET, "a field of " + type + " runs past the end of the packet");
    }
  }

  private int readByte(ByteBuf in) {
    need(in, 1);
    return in.readUnsignedByte();
  }

  private int readUnsignedShort(ByteBuf in) {
    need(in, 2);
    return in.readUnsignedShort();
  }

  private long readUnsignedInt(ByteBuf in) {
    need(in, 4);
    return in.readUnsignedInt();
  }

  private int readPacketId(ByteBuf in) {
    int id = readUnsignedShort(in);
    if (id == 0) {
      throw fail(PROTOCOL_ERROR, "packet identifier 0 in " + type + " [MQTT-2.3.1-1]");
    }
    return id;
  }

  private int readVarInt(ByteBuf in) {
    int value = VariableByteInteger.read(in);
    if (value < 0) {
      throw fail(MALFORMED_PACKET, VariableByteInteger.problem(value));
    }
    return value;
  }

  private BinaryData readBinary(ByteBuf in) {
    int length = readUnsignedShort(in);
    need(in, length);
    return BinaryData.read(in, length);
  }

  private String readUtf8(ByteBuf in) {
    int length = readUnsignedShort(in);
    need(in, length);
    String s = Utf8.decode(in, in.readerIndex(), length);
    if (s == null) {
      throw fail(MALFORMED_PACKET, "ill-formed UTF-8 string or U+0000 [MQTT-1.5.4-1]");
    }
    in.skipBytes(length);
    return s;
  }
}
