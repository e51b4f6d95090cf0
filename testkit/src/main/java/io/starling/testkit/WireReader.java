package io.starling.testkit;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A second reader of the packets an MQTT server sends to a client, written from the specifications
 * (MQTT 3.1.1, OASIS Standard of 29 October 2014; MQTT 5.0, OASIS Standard of 7 March 2019) and
 * sharing no code with {@code io.starling.codec}. {@link RawClient} reads every packet with both
 * this reader and the codec and fails when they disagree, so a codec bug cannot hide itself in the
 * tests that use it.
 *
 * <p>It refuses what a server may not send: client-only packet types, reserved fixed-header flags,
 * a Remaining Length that does not match the fields, ill-formed UTF-8, reason codes outside the
 * packet's table, properties not allowed in the packet, properties repeated that must not repeat
 * and property values the specification calls a Protocol Error. It keeps no state between packets,
 * so it does not check negotiated limits (Topic Alias Maximum, Maximum Packet Size); tests do.
 *
 * <pre>
 * fixed header (3.1.1 section 2.2, 5.0 section 2.1):
 *   byte 1     type (bits 7-4) | flags (bits 3-0)
 *   byte 2..5  Remaining Length, a Variable Byte Integer of 1 to 4 bytes
 * then exactly Remaining Length bytes of variable header and payload
 * </pre>
 */
public final class WireReader {
  /** MQTT 3.1's protocol level. */
  public static final int MQTT_3_1 = 3;

  /** MQTT 3.1.1's protocol level. */
  public static final int MQTT_3_1_1 = 4;

  /** MQTT 5.0's protocol level. */
  public static final int MQTT_5 = 5;

  // Control packet types (3.1.1 Table 2.1, 5.0 Table 2-1).
  static final int CONNECT = 1;
  static final int CONNACK = 2;
  static final int PUBLISH = 3;
  static final int PUBACK = 4;
  static final int PUBREC = 5;
  static final int PUBREL = 6;
  static final int PUBCOMP = 7;
  static final int SUBSCRIBE = 8;
  static final int SUBACK = 9;
  static final int UNSUBSCRIBE = 10;
  static final int UNSUBACK = 11;
  static final int PINGREQ = 12;
  static final int PINGRESP = 13;
  static final int DISCONNECT = 14;
  static final int AUTH = 15;

  private WireReader() {}

  /**
   * Reads one whole packet, fixed header included.
   *
   * @param packet exactly one packet's bytes
   * @param protocolLevel 3, 4 or 5, the level the client connected with
   * @throws WireFormatException for anything a server may not send
   */
  public static WirePacket read(byte[] packet, int protocolLevel) {
    if (protocolLevel < MQTT_3_1 || protocolLevel > MQTT_5) {
      throw new IllegalArgumentException("protocol level " + protocolLevel);
    }
    if (packet.length < 2) {
      throw new WireFormatException("a packet has at least 2 bytes, not " + packet.length);
    }
    int type = (packet[0] & 0xF0) >> 4;
    int flags = packet[0] & 0x0F;
    checkTypeAndFlags(type, flags, protocolLevel);
    int lengthBytes = 1;
    while ((packet[lengthBytes] & 0x80) != 0
        && lengthBytes < 4
        && lengthBytes + 1 < packet.length) {
      lengthBytes++;
    }
    byte[] encoded = new byte[lengthBytes];
    System.arraycopy(packet, 1, encoded, 0, lengthBytes);
    int remaining = remainingLength(encoded);
    int start = 1 + lengthBytes;
    if (packet.length - start != remaining) {
      throw new WireFormatException(
          typeName(type)
              + ": Remaining Length is "
              + remaining
              + " but "
              + (packet.length - start)
              + " bytes follow the fixed header");
    }
    boolean v5 = protocolLevel == MQTT_5;
    WireCursor in = new WireCursor(packet, start, packet.length, typeName(type), v5);
    Fields f = new Fields();
    switch (type) {
      case CONNACK -> readConnAck(in, protocolLevel, f);
      case PUBLISH -> readPublish(in, flags, v5, f);
      case PUBACK, PUBREC, PUBREL, PUBCOMP -> readAck(in, type, v5, f);
      case SUBACK -> readSubAck(in, protocolLevel, f);
      case UNSUBACK -> readUnsubAck(in, v5, f);
      case PINGRESP -> {}
      case DISCONNECT -> readDisconnect(in, f);
      case AUTH -> readAuth(in, f);
      default -> throw new IllegalStateException("type " + type);
    }
    in.expectEnd();
    return new WirePacket(
        protocolLevel,
        type,
        flags,
        remaining,
        f.packetId,
        f.sessionPresent,
        f.reasonCodes,
        f.topic,
        f.payload,
        f.properties);
  }

  /**
   * Decodes a Remaining Length from its 1 to 4 bytes (3.1.1 section 2.2.3, 5.0 section 1.5.5).
   *
   * @throws WireFormatException when the last byte still has its continuation bit, a fifth byte
   *     would be needed, or the value is not written in the fewest bytes [MQTT-1.5.5-1]
   */
  public static int remainingLength(byte[] encoded) {
    if (encoded.length < 1 || encoded.length > 4) {
      throw new WireFormatException("Remaining Length of " + encoded.length + " bytes");
    }
    int value = 0;
    for (int i = 0; i < encoded.length; i++) {
      int b = encoded[i] & 0xFF;
      value |= (b & 0x7F) << (7 * i);
      boolean last = i == encoded.length - 1;
      if (last && (b & 0x80) != 0) {
        throw new WireFormatException(
            "Remaining Length goes on past " + encoded.length + " bytes (at most 4)");
      }
      if (!last && (b & 0x80) == 0) {
        throw new WireFormatException("Remaining Length ends before its last byte");
      }
      if (last && i > 0 && b == 0) {
        throw new WireFormatException(
            "Remaining Length is not written in the fewest bytes [MQTT-1.5.5-1]");
      }
    }
    return value;
  }

  // ---- fixed header -------------------------------------------------------------------------

  /*
   * Table 2.2 (3.1.1) / 2-2 (5.0): PUBLISH's flags are DUP, QoS, RETAIN; PUBREL, SUBSCRIBE and
   * UNSUBSCRIBE carry 0010; every other type 0000. Direction (Table 2.1 / 2-1): CONNECT,
   * SUBSCRIBE, UNSUBSCRIBE and PINGREQ go Client to Server only, and so does DISCONNECT before 5.0;
   * 0 is reserved, and 15 is reserved before 5.0.
   */
  private static void checkTypeAndFlags(int type, int flags, int level) {
    if (type == 0 || (type == AUTH && level < MQTT_5)) {
      throw new WireFormatException("packet type " + type + " is reserved (Table 2.1)");
    }
    if (type == CONNECT
        || type == SUBSCRIBE
        || type == UNSUBSCRIBE
        || type == PINGREQ
        || (type == DISCONNECT && level < MQTT_5)) {
      throw new WireFormatException(
          typeName(type) + " goes from Client to Server only; a server never sends it (Table 2.1)");
    }
    if (type == PUBLISH) {
      return;
    }
    int required = type == PUBREL ? 0b0010 : 0b0000;
    // MQTT 3.1 (section 3.6) sets DUP on a PUBREL sent again.
    boolean v31Dup = level == MQTT_3_1 && type == PUBREL && flags == 0b1010;
    if (flags != required && !v31Dup) {
      throw new WireFormatException(
          typeName(type)
              + ": reserved fixed-header flags are "
              + Integer.toBinaryString(flags)
              + ", not "
              + Integer.toBinaryString(required)
              + (level == MQTT_5 ? " [MQTT-2.1.3-1]" : " [MQTT-2.2.2-1]"));
    }
  }

  static String typeName(int type) {
    return WirePacket.TYPE_NAMES[type];
  }

  /** The fields read so far; only the ones a type has are set. */
  private static final class Fields {
    int packetId;
    boolean sessionPresent;
    final List<Integer> reasonCodes = new ArrayList<>(4);
    String topic;
    byte[] payload = new byte[0];
    List<WireProperty> properties = List.of();
  }

  // ---- CONNACK (3.1.1 section 3.2, 5.0 section 3.2) -----------------------------------------

  /*
   * byte 1  Connect Acknowledge Flags: bits 7-1 reserved (0), bit 0 Session Present
   *         (MQTT 3.1: the byte is unused)
   * byte 2  3.1.1: Connect Return code 0 to 5; 5.0: Connect Reason Code (Table 3-1)
   * 5.0:    properties (the Property Length is always there)
   */
  private static void readConnAck(WireCursor in, int level, Fields f) {
    int ackFlags = in.u8("Connect Acknowledge Flags");
    if ((ackFlags & 0xFE) != 0) {
      throw in.fail(
          "Connect Acknowledge Flags bits 7-1 are not 0"
              + (level == MQTT_5 ? " [MQTT-3.2.2-1]" : " (section 3.2.2.1)"));
    }
    f.sessionPresent = (ackFlags & 0x01) != 0;
    int code = in.u8(level == MQTT_5 ? "Connect Reason Code" : "Connect Return code");
    if (level == MQTT_5) {
      checkReasonCode(in, CONNACK, code);
    } else if (code > 5) {
      throw in.fail("Connect Return code " + code + " is reserved (section 3.2.2.3, Table 3.1)");
    }
    if (f.sessionPresent && code != 0) {
      throw in.fail(
          "Session Present is 1 with a refusal "
              + (level == MQTT_5 ? "[MQTT-3.2.2-6]" : "[MQTT-3.2.2-4]"));
    }
    f.reasonCodes.add(code);
    if (level == MQTT_5) {
      f.properties = WireProperties.read(in, CONNACK);
    }
  }

  // ---- PUBLISH (3.1.1 section 3.3, 5.0 section 3.3) -----------------------------------------

  /*
   * flags: bit 3 DUP, bits 2-1 QoS, bit 0 RETAIN
   * Topic Name (UTF-8 string), Packet Identifier (QoS 1 and 2 only), 5.0 properties,
   * then the payload: every byte left
   */
  private static void readPublish(WireCursor in, int flags, boolean v5, Fields f) {
    int qos = (flags >> 1) & 0x03;
    if (qos == 3) {
      throw in.fail("QoS bits are both 1 [MQTT-3.3.1-4]");
    }
    if ((flags & 0x08) != 0 && qos == 0) {
      throw in.fail("DUP is 1 on a QoS 0 message [MQTT-3.3.1-2]");
    }
    String topic = in.utf8("Topic Name");
    if (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0) {
      throw in.fail("Topic Name '" + topic + "' holds a wildcard [MQTT-3.3.2-2]");
    }
    f.topic = topic;
    if (qos > 0) {
      f.packetId = in.packetId();
    }
    if (v5) {
      f.properties = WireProperties.read(in, PUBLISH);
      boolean alias = f.properties.stream().anyMatch(p -> p.id() == WireProperties.TOPIC_ALIAS);
      if (topic.isEmpty() && !alias) {
        throw in.fail("an empty Topic Name without a Topic Alias (section 3.3.2.1)");
      }
    } else if (topic.isEmpty()) {
      throw in.fail("an empty Topic Name [MQTT-4.7.3-1]");
    }
    f.payload = in.rest();
  }

  // ---- PUBACK, PUBREC, PUBREL, PUBCOMP (sections 3.4 to 3.7) --------------------------------

  /*
   * Packet Identifier; 5.0 only: Reason Code (absent when the Remaining Length is 2: Success),
   * then properties (absent when the Remaining Length is below 4: none).
   */
  private static void readAck(WireCursor in, int type, boolean v5, Fields f) {
    f.packetId = in.packetId();
    if (!v5 || in.remaining() == 0) {
      return;
    }
    int code = in.u8(typeName(type) + " Reason Code");
    checkReasonCode(in, type, code);
    f.reasonCodes.add(code);
    if (in.remaining() > 0) {
      f.properties = WireProperties.read(in, type);
    }
  }

  // ---- SUBACK (section 3.9), UNSUBACK (section 3.11) ----------------------------------------

  /* Packet Identifier, 5.0 properties, then one code per topic filter of the SUBSCRIBE. */
  private static void readSubAck(WireCursor in, int level, Fields f) {
    f.packetId = in.packetId();
    if (level == MQTT_5) {
      f.properties = WireProperties.read(in, SUBACK);
    }
    while (in.remaining() > 0) {
      int code = in.u8("SUBACK code");
      if (level == MQTT_5) {
        checkReasonCode(in, SUBACK, code);
      } else if (code > 2 && code != 0x80) {
        // MQTT 3.1 knows only the granted QoS; 0x80 is tolerated there as 3.1.1's failure code.
        throw in.fail("SUBACK return code 0x" + Integer.toHexString(code) + " [MQTT-3.9.3-2]");
      }
      f.reasonCodes.add(code);
    }
    if (f.reasonCodes.isEmpty()) {
      throw in.fail("no return code: one per topic filter of the SUBSCRIBE (section 3.9.3)");
    }
  }

  /* Packet Identifier; 5.0 adds properties and one Reason Code per topic filter. */
  private static void readUnsubAck(WireCursor in, boolean v5, Fields f) {
    f.packetId = in.packetId();
    if (!v5) {
      return;
    }
    f.properties = WireProperties.read(in, UNSUBACK);
    while (in.remaining() > 0) {
      int code = in.u8("UNSUBACK Reason Code");
      checkReasonCode(in, UNSUBACK, code);
      f.reasonCodes.add(code);
    }
    if (f.reasonCodes.isEmpty()) {
      throw in.fail("no Reason Code: one per topic filter of the UNSUBSCRIBE (section 3.11.3)");
    }
  }

  // ---- DISCONNECT (5.0 section 3.14), AUTH (5.0 section 3.15) -------------------------------

  /*
   * Remaining Length 0: Normal disconnection, no properties. Otherwise a Disconnect Reason Code,
   * then properties unless the Remaining Length is 1.
   */
  private static void readDisconnect(WireCursor in, Fields f) {
    if (in.remaining() == 0) {
      return;
    }
    int code = in.u8("Disconnect Reason Code");
    checkReasonCode(in, DISCONNECT, code);
    f.reasonCodes.add(code);
    if (in.remaining() > 0) {
      f.properties = WireProperties.read(in, DISCONNECT);
    }
    for (WireProperty p : f.properties) {
      if (p.id() == WireProperties.SESSION_EXPIRY_INTERVAL) {
        throw in.fail("a Server sends no Session Expiry Interval on DISCONNECT [MQTT-3.14.2-2]");
      }
    }
  }

  /*
   * Authenticate Reason Code, then properties; both may be left out only for Success without
   * properties (Remaining Length 0). The Authentication Method must be there (section 3.15.2.2.2).
   */
  private static void readAuth(WireCursor in, Fields f) {
    if (in.remaining() > 0) {
      int code = in.u8("Authenticate Reason Code");
      checkReasonCode(in, AUTH, code);
      f.reasonCodes.add(code);
      f.properties = WireProperties.read(in, AUTH);
    }
    if (f.properties.stream().noneMatch(p -> p.id() == WireProperties.AUTHENTICATION_METHOD)) {
      throw in.fail(
          "no Authentication Method: leaving it out is a Protocol Error (section 3.15.2.2.2)");
    }
  }

  // ---- reason codes (5.0 section 2.4 and each packet's table) -------------------------------

  private static final Set<Integer> CONNACK_CODES =
      codes(
          0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95,
          0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F);
  private static final Set<Integer> PUBACK_CODES =
      codes(0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99);
  private static final Set<Integer> PUBREL_CODES = codes(0x00, 0x92);
  private static final Set<Integer> SUBACK_CODES =
      codes(0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2);
  private static final Set<Integer> UNSUBACK_CODES =
      codes(0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91);
  // Table 3-10 without 0x04 (Disconnect with Will Message), which only a Client sends.
  private static final Set<Integer> DISCONNECT_CODES =
      codes(
          0x00, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95,
          0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2);
  // Table 3-11 without 0x19 (Re-authenticate), which only a Client sends.
  private static final Set<Integer> AUTH_CODES = codes(0x00, 0x18);

  private static void checkReasonCode(WireCursor in, int type, int code) {
    Set<Integer> allowed;
    String rule;
    switch (type) {
      case CONNACK -> {
        allowed = CONNACK_CODES;
        rule = "[MQTT-3.2.2-8] (Table 3-1)";
      }
      case PUBACK -> {
        allowed = PUBACK_CODES;
        rule = "[MQTT-3.4.2-1] (Table 3-4)";
      }
      case PUBREC -> {
        allowed = PUBACK_CODES;
        rule = "[MQTT-3.5.2-1] (Table 3-5)";
      }
      case PUBREL -> {
        allowed = PUBREL_CODES;
        rule = "[MQTT-3.6.2-1] (Table 3-6)";
      }
      case PUBCOMP -> {
        allowed = PUBREL_CODES;
        rule = "[MQTT-3.7.2-1] (Table 3-7)";
      }
      case SUBACK -> {
        allowed = SUBACK_CODES;
        rule = "[MQTT-3.9.3-2] (Table 3-8)";
      }
      case UNSUBACK -> {
        allowed = UNSUBACK_CODES;
        rule = "[MQTT-3.11.3-2] (Table 3-9)";
      }
      case DISCONNECT -> {
        allowed = DISCONNECT_CODES;
        rule = "[MQTT-3.14.2-1] (Table 3-10, as sent by a Server)";
      }
      default -> {
        allowed = AUTH_CODES;
        rule = "[MQTT-3.15.2-1] (Table 3-11, as sent by a Server)";
      }
    }
    if (!allowed.contains(code)) {
      throw in.fail(
          String.format("reason code 0x%02X is not one a Server may send here %s", code, rule));
    }
  }

  private static Set<Integer> codes(int... values) {
    Set<Integer> out = new HashSet<>();
    for (int v : values) {
      out.add(v);
    }
    return Set.copyOf(out);
  }
}
