package io.starling.codec.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.VariableByteInteger;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Property;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.codec.packet.UnsubAck;
import io.starling.codec.packet.Unsubscribe;
import io.starling.codec.packet.UserProperty;
import io.starling.codec.packet.Will;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes packets for a protocol version. Sizes are computed first, so each packet lands in one
 * buffer of exactly its size. Fields a version does not have (properties and reason codes before
 * 5.0) are left out. Thread-safe: its only state is a per-thread cache of the last PUBLISH topic's
 * UTF-8 bytes ({@code TopicCache}), which fan-out hits for every subscriber after the first.
 *
 * <p>For PUBLISH, {@link #encodePublishHeader} writes only the fixed and variable header, so that
 * one payload buffer can follow many different headers, one per subscriber, without a copy.
 */
public final class PacketEncoder {
  private PacketEncoder() {}

  /**
   * Encodes a whole packet, payload included, into a new buffer from {@code alloc}. Does not
   * release anything.
   *
   * @throws IllegalArgumentException if the packet cannot be written in this version (AUTH before
   *     5.0)
   */
  public static ByteBuf encode(MqttPacket packet, MqttVersion version, ByteBufAllocator alloc) {
    if (packet instanceof Publish p) {
      ByteBuf payload = p.payload();
      int payloadBytes = payload.readableBytes();
      int remaining = publishRemainingLength(p, version, payloadBytes);
      ByteBuf out = alloc.buffer(1 + VariableByteInteger.size(remaining) + remaining);
      writePublishHeader(out, p, version, remaining);
      return out.writeBytes(payload, payload.readerIndex(), payloadBytes);
    }
    boolean v5 = version.isV5();
    return switch (packet.type()) {
      case CONNECT -> encodeConnect((Connect) packet, alloc);
      case CONNACK -> encodeConnAck((ConnAck) packet, v5, alloc);
      case PUBACK -> {
        PubAck a = (PubAck) packet;
        yield encodeAck(0x40, a.packetId(), a.reasonCode(), a.properties(), v5, alloc);
      }
      case PUBREC -> {
        PubRec a = (PubRec) packet;
        yield encodeAck(0x50, a.packetId(), a.reasonCode(), a.properties(), v5, alloc);
      }
      case PUBREL -> {
        PubRel a = (PubRel) packet;
        yield encodeAck(0x62, a.packetId(), a.reasonCode(), a.properties(), v5, alloc);
      }
      case PUBCOMP -> {
        PubComp a = (PubComp) packet;
        yield encodeAck(0x70, a.packetId(), a.reasonCode(), a.properties(), v5, alloc);
      }
      case SUBSCRIBE -> encodeSubscribe((Subscribe) packet, version, alloc);
      case SUBACK -> encodeSubAck((SubAck) packet, v5, alloc);
      case UNSUBSCRIBE -> encodeUnsubscribe((Unsubscribe) packet, v5, alloc);
      case UNSUBACK -> encodeUnsubAck((UnsubAck) packet, v5, alloc);
      case PINGREQ -> alloc.buffer(2).writeByte(0xC0).writeByte(0);
      case PINGRESP -> alloc.buffer(2).writeByte(0xD0).writeByte(0);
      case DISCONNECT -> {
        Disconnect d = (Disconnect) packet;
        yield encodeReasonOnly(0xE0, d.reasonCode(), d.properties(), v5, alloc);
      }
      case AUTH -> {
        if (!v5) {
          throw new IllegalArgumentException("AUTH exists only in MQTT 5.0");
        }
        Auth a = (Auth) packet;
        yield encodeReasonOnly(0xF0, a.reasonCode(), a.properties(), true, alloc);
      }
      case PUBLISH -> throw new AssertionError("handled above");
    };
  }

  /**
   * The size in bytes of the whole encoded PUBLISH, for checking against a peer's maximum packet
   * size before writing it.
   */
  public static int publishSize(Publish p, MqttVersion version) {
    int remaining = publishRemainingLength(p, version, p.payload().readableBytes());
    return 1 + VariableByteInteger.size(remaining) + remaining;
  }

  /**
   * Writes the fixed header and variable header of a PUBLISH whose payload of {@code payloadBytes}
   * bytes the caller writes right after it, into a buffer of exactly the header's size: the payload
   * is meant to follow as a buffer of its own, not copied in ({@link #encode} copies it).
   */
  public static ByteBuf encodePublishHeader(
      Publish p, MqttVersion version, ByteBufAllocator alloc, int payloadBytes) {
    int remaining = publishRemainingLength(p, version, payloadBytes);
    int headerBytes = 1 + VariableByteInteger.size(remaining) + remaining - payloadBytes;
    ByteBuf out = alloc.buffer(headerBytes);
    writePublishHeader(out, p, version, remaining);
    return out;
  }

  private static void writePublishHeader(
      ByteBuf out, Publish p, MqttVersion version, int remaining) {
    int flags = (p.dup() ? 0x08 : 0) | (p.qos().value() << 1) | (p.retained() ? 0x01 : 0);
    out.writeByte(0x30 | flags);
    VariableByteInteger.write(out, remaining);
    TopicCache.get().write(out, p.topic());
    if (p.qos() != QoS.AT_MOST_ONCE) {
      out.writeShort(p.packetId());
    }
    if (version.isV5()) {
      writeProperties(out, p.properties());
    }
  }

  private static int publishRemainingLength(Publish p, MqttVersion version, int payloadBytes) {
    int length = TopicCache.get().size(p.topic()) + payloadBytes;
    if (p.qos() != QoS.AT_MOST_ONCE) {
      length += 2;
    }
    if (version.isV5()) {
      length += propertiesSize(p.properties());
    }
    return length;
  }

  private static ByteBuf encodeConnect(Connect c, ByteBufAllocator alloc) {
    MqttVersion v = c.version();
    boolean v5 = v.isV5();
    Will will = c.will();
    int length = utf8Size(v.protocolName()) + 1 + 1 + 2 + utf8Size(c.clientId());
    if (v5) {
      length += propertiesSize(c.properties());
    }
    if (will != null) {
      length += utf8Size(will.topic()) + 2 + will.payload().length();
      if (v5) {
        length += propertiesSize(will.properties());
      }
    }
    if (c.username() != null) {
      length += utf8Size(c.username());
    }
    if (c.password() != null) {
      length += 2 + c.password().length();
    }
    ByteBuf out = fixedHeader(alloc, 0x10, length);
    writeUtf8(out, v.protocolName());
    out.writeByte(v.level());
    int flags = c.cleanStart() ? 0x02 : 0;
    if (will != null) {
      flags |= 0x04 | (will.qos().value() << 3) | (will.retain() ? 0x20 : 0);
    }
    if (c.password() != null) {
      flags |= 0x40;
    }
    if (c.username() != null) {
      flags |= 0x80;
    }
    out.writeByte(flags);
    out.writeShort(c.keepAliveSeconds());
    if (v5) {
      writeProperties(out, c.properties());
    }
    writeUtf8(out, c.clientId());
    if (will != null) {
      if (v5) {
        writeProperties(out, will.properties());
      }
      writeUtf8(out, will.topic());
      writeBinary(out, will.payload());
    }
    if (c.username() != null) {
      writeUtf8(out, c.username());
    }
    if (c.password() != null) {
      writeBinary(out, c.password());
    }
    return out;
  }

  private static ByteBuf encodeConnAck(ConnAck c, boolean v5, ByteBufAllocator alloc) {
    int length = 2 + (v5 ? propertiesSize(c.properties()) : 0);
    ByteBuf out = fixedHeader(alloc, 0x20, length);
    out.writeByte(c.sessionPresent() ? 1 : 0);
    out.writeByte(v5 ? c.reasonCode().value() : c.reasonCode().v3ConnectReturnCode());
    if (v5) {
      writeProperties(out, c.properties());
    }
    return out;
  }

  /*
   * PUBACK, PUBREC, PUBREL, PUBCOMP. In 5.0 the reason code and properties are left off when
   * the reason is Success and there are no properties (remaining length 2), and the properties
   * alone are left off when there are none (remaining length 3).
   */
  private static ByteBuf encodeAck(
      int firstByte,
      int packetId,
      ReasonCode reason,
      Properties properties,
      boolean v5,
      ByteBufAllocator alloc) {
    boolean withReason = v5 && (reason != ReasonCode.SUCCESS || !properties.isEmpty());
    boolean withProperties = v5 && !properties.isEmpty();
    int length = 2 + (withReason ? 1 : 0) + (withProperties ? propertiesSize(properties) : 0);
    ByteBuf out = fixedHeader(alloc, firstByte, length);
    out.writeShort(packetId);
    if (withReason) {
      out.writeByte(reason.value());
    }
    if (withProperties) {
      writeProperties(out, properties);
    }
    return out;
  }

  private static ByteBuf encodeSubscribe(Subscribe s, MqttVersion version, ByteBufAllocator alloc) {
    boolean v5 = version.isV5();
    int length = 2 + (v5 ? propertiesSize(s.properties()) : 0);
    for (Subscription sub : s.subscriptions()) {
      length += utf8Size(sub.filter()) + 1;
    }
    ByteBuf out = fixedHeader(alloc, 0x82, length);
    out.writeShort(s.packetId());
    if (v5) {
      writeProperties(out, s.properties());
    }
    for (Subscription sub : s.subscriptions()) {
      writeUtf8(out, sub.filter());
      int options = sub.maxQos().value();
      if (v5) {
        options |=
            (sub.noLocal() ? 0x04 : 0)
                | (sub.retainAsPublished() ? 0x08 : 0)
                | (sub.retainHandling().ordinal() << 4);
      }
      out.writeByte(options);
    }
    return out;
  }

  private static ByteBuf encodeSubAck(SubAck s, boolean v5, ByteBufAllocator alloc) {
    List<ReasonCode> codes = s.reasonCodes();
    int length = 2 + codes.size() + (v5 ? propertiesSize(s.properties()) : 0);
    ByteBuf out = fixedHeader(alloc, 0x90, length);
    out.writeShort(s.packetId());
    if (v5) {
      writeProperties(out, s.properties());
    }
    for (ReasonCode code : codes) {
      // 3.1.1 knows granted QoS 0-2 and 0x80 Failure [MQTT-3.9.3-2].
      out.writeByte(v5 || !code.isError() ? code.value() : 0x80);
    }
    return out;
  }

  private static ByteBuf encodeUnsubscribe(Unsubscribe u, boolean v5, ByteBufAllocator alloc) {
    int length = 2 + (v5 ? propertiesSize(u.properties()) : 0);
    for (String filter : u.filters()) {
      length += utf8Size(filter);
    }
    ByteBuf out = fixedHeader(alloc, 0xA2, length);
    out.writeShort(u.packetId());
    if (v5) {
      writeProperties(out, u.properties());
    }
    for (String filter : u.filters()) {
      writeUtf8(out, filter);
    }
    return out;
  }

  private static ByteBuf encodeUnsubAck(UnsubAck u, boolean v5, ByteBufAllocator alloc) {
    int length = 2 + (v5 ? propertiesSize(u.properties()) + u.reasonCodes().size() : 0);
    ByteBuf out = fixedHeader(alloc, 0xB0, length);
    out.writeShort(u.packetId());
    if (v5) {
      writeProperties(out, u.properties());
      for (ReasonCode code : u.reasonCodes()) {
        out.writeByte(code.value());
      }
    }
    return out;
  }

  /** DISCONNECT and AUTH: empty before 5.0, and in 5.0 when Success without properties. */
  private static ByteBuf encodeReasonOnly(
      int firstByte, ReasonCode reason, Properties properties, boolean v5, ByteBufAllocator alloc) {
    boolean withReason = v5 && (reason != ReasonCode.SUCCESS || !properties.isEmpty());
    boolean withProperties = v5 && !properties.isEmpty();
    int length = (withReason ? 1 : 0) + (withProperties ? propertiesSize(properties) : 0);
    ByteBuf out = fixedHeader(alloc, firstByte, length);
    if (withReason) {
      out.writeByte(reason.value());
    }
    if (withProperties) {
      writeProperties(out, properties);
    }
    return out;
  }

  private static ByteBuf fixedHeader(ByteBufAllocator alloc, int firstByte, int remaining) {
    ByteBuf out = alloc.buffer(1 + VariableByteInteger.size(remaining) + remaining);
    out.writeByte(firstByte);
    VariableByteInteger.write(out, remaining);
    return out;
  }

  // ---- fields -------------------------------------------------------------------------------

  /**
   * The UTF-8 form of the last PUBLISH topic this thread encoded. Fan-out writes one message to
   * many subscribers in a row with the same topic string, so the second write onwards copies bytes
   * instead of encoding again; other traffic pays one reference comparison.
   */
  private static final class TopicCache {
    private static final FastThreadLocal<TopicCache> CACHE =
        new FastThreadLocal<>() {
          @Override
          protected TopicCache initialValue() {
            return new TopicCache();
          }
        };

    private String topic;
    private byte[] utf8;

    static TopicCache get() {
      return CACHE.get();
    }

    private byte[] lookup(String s) {
      if (s != topic) {
        topic = s;
        utf8 = null;
        return null;
      }
      if (utf8 == null) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
          throw new IllegalArgumentException("string longer than 65535 bytes in UTF-8");
        }
        utf8 = b;
      }
      return utf8;
    }

    int size(String s) {
      byte[] b = lookup(s);
      return b == null ? utf8Size(s) : 2 + b.length;
    }

    void write(ByteBuf out, String s) {
      byte[] b = s == topic ? utf8 : null;
      if (b == null) {
        writeUtf8(out, s);
      } else {
        out.writeShort(b.length);
        out.writeBytes(b);
      }
    }
  }

  private static int utf8Size(String s) {
    return 2 + ByteBufUtil.utf8Bytes(s);
  }

  private static void writeUtf8(ByteBuf out, String s) {
    // Reserve exactly the bytes needed: ByteBufUtil.writeUtf8(ByteBuf, CharSequence) reserves
    // 3 bytes a char and so grows, by reallocating, a buffer that was sized exactly.
    int bytes = ByteBufUtil.utf8Bytes(s);
    if (bytes > 0xFFFF) {
      throw new IllegalArgumentException("string longer than 65535 bytes in UTF-8");
    }
    out.writeShort(bytes);
    ByteBufUtil.reserveAndWriteUtf8(out, s, bytes);
  }

  private static void writeBinary(ByteBuf out, BinaryData data) {
    if (data.length() > 0xFFFF) {
      throw new IllegalArgumentException("binary data longer than 65535 bytes");
    }
    out.writeShort(data.length());
    data.writeTo(out);
  }

  /** The size of a property block including its length prefix. */
  static int propertiesSize(Properties properties) {
    int body = propertiesBodySize(properties);
    return VariableByteInteger.size(body) + body;
  }

  private static int propertiesBodySize(Properties properties) {
    int size = 0;
    for (Property p : properties.entries()) {
      size += VariableByteInteger.size(p.id().id());
      Object v = p.value();
      size +=
          switch (p.id().type()) {
            case BYTE -> 1;
            case TWO_BYTE_INTEGER -> 2;
            case FOUR_BYTE_INTEGER -> 4;
            case VARIABLE_BYTE_INTEGER -> VariableByteInteger.size((Integer) v);
            case UTF8_STRING -> utf8Size((String) v);
            case BINARY_DATA -> 2 + ((BinaryData) v).length();
            case UTF8_STRING_PAIR ->
                utf8Size(((UserProperty) v).name()) + utf8Size(((UserProperty) v).value());
          };
    }
    return size;
  }

  private static void writeProperties(ByteBuf out, Properties properties) {
    VariableByteInteger.write(out, propertiesBodySize(properties));
    for (Property p : properties.entries()) {
      VariableByteInteger.write(out, p.id().id());
      Object v = p.value();
      switch (p.id().type()) {
        case BYTE -> out.writeByte((Integer) v);
        case TWO_BYTE_INTEGER -> out.writeShort((Integer) v);
        case FOUR_BYTE_INTEGER -> out.writeInt((int) (long) (Long) v);
        case VARIABLE_BYTE_INTEGER -> VariableByteInteger.write(out, (Integer) v);
        case UTF8_STRING -> writeUtf8(out, (String) v);
        case BINARY_DATA -> writeBinary(out, (BinaryData) v);
        case UTF8_STRING_PAIR -> {
          writeUtf8(out, ((UserProperty) v).name());
          writeUtf8(out, ((UserProperty) v).value());
        }
      }
    }
  }
}
