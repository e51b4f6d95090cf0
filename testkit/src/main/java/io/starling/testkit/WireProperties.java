package io.starling.testkit;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * MQTT 5.0 properties (section 2.2.2) for {@link WireReader}: the table of identifiers, wire types
 * and the packets that may carry each (Table 2-4), and the rules on their values the sections of
 * each packet set. Only the packets a server sends are listed: a property of CONNECT, SUBSCRIBE or
 * the will only is refused like an unknown one.
 */
final class WireProperties {
  static final int PAYLOAD_FORMAT_INDICATOR = 0x01;
  static final int SUBSCRIPTION_IDENTIFIER = 0x0B;
  static final int SESSION_EXPIRY_INTERVAL = 0x11;
  static final int AUTHENTICATION_METHOD = 0x15;
  static final int RESPONSE_TOPIC = 0x08;
  static final int RECEIVE_MAXIMUM = 0x21;
  static final int TOPIC_ALIAS = 0x23;
  static final int MAXIMUM_QOS = 0x24;
  static final int USER_PROPERTY = 0x26;
  static final int MAXIMUM_PACKET_SIZE = 0x27;

  private enum Kind {
    BYTE,
    TWO_BYTE,
    FOUR_BYTE,
    VBI,
    UTF8,
    BINARY,
    PAIR
  }

  private record Def(String name, Kind kind, int packets) {}

  private static final Def[] TABLE = new Def[0x80];

  private static void def(int id, String name, Kind kind, int... types) {
    int mask = 0;
    for (int t : types) {
      mask |= 1 << t;
    }
    TABLE[id] = new Def(name, kind, mask);
  }

  // Table 2-4, restricted to CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK,
  // DISCONNECT and AUTH.
  static {
    int connack = WireReader.CONNACK;
    int publish = WireReader.PUBLISH;
    int puback = WireReader.PUBACK;
    int pubrec = WireReader.PUBREC;
    int pubrel = WireReader.PUBREL;
    int pubcomp = WireReader.PUBCOMP;
    int suback = WireReader.SUBACK;
    int unsuback = WireReader.UNSUBACK;
    int disconnect = WireReader.DISCONNECT;
    int auth = WireReader.AUTH;
    def(0x01, "Payload Format Indicator", Kind.BYTE, publish);
    def(0x02, "Message Expiry Interval", Kind.FOUR_BYTE, publish);
    def(0x03, "Content Type", Kind.UTF8, publish);
    def(0x08, "Response Topic", Kind.UTF8, publish);
    def(0x09, "Correlation Data", Kind.BINARY, publish);
    def(0x0B, "Subscription Identifier", Kind.VBI, publish);
    def(0x11, "Session Expiry Interval", Kind.FOUR_BYTE, connack, disconnect);
    def(0x12, "Assigned Client Identifier", Kind.UTF8, connack);
    def(0x13, "Server Keep Alive", Kind.TWO_BYTE, connack);
    def(0x15, "Authentication Method", Kind.UTF8, connack, auth);
    def(0x16, "Authentication Data", Kind.BINARY, connack, auth);
    def(0x1A, "Response Information", Kind.UTF8, connack);
    def(0x1C, "Server Reference", Kind.UTF8, connack, disconnect);
    def(
        0x1F,
        "Reason String",
        Kind.UTF8,
        connack,
        puback,
        pubrec,
        pubrel,
        pubcomp,
        suback,
        unsuback,
        disconnect,
        auth);
    def(0x21, "Receive Maximum", Kind.TWO_BYTE, connack);
    def(0x22, "Topic Alias Maximum", Kind.TWO_BYTE, connack);
    def(0x23, "Topic Alias", Kind.TWO_BYTE, publish);
    def(0x24, "Maximum QoS", Kind.BYTE, connack);
    def(0x25, "Retain Available", Kind.BYTE, connack);
    def(
        0x26,
        "User Property",
        Kind.PAIR,
        connack,
        publish,
        puback,
        pubrec,
        pubrel,
        pubcomp,
        suback,
        unsuback,
        disconnect,
        auth);
    def(0x27, "Maximum Packet Size", Kind.FOUR_BYTE, connack);
    def(0x28, "Wildcard Subscription Available", Kind.BYTE, connack);
    def(0x29, "Subscription Identifier Available", Kind.BYTE, connack);
    def(0x2A, "Shared Subscription Available", Kind.BYTE, connack);
  }

  private WireProperties() {}

  /**
   * Reads a property block: its Property Length (a Variable Byte Integer), then properties, each an
   * identifier (a Variable Byte Integer, section 2.2.2.2) and a value of the identifier's type.
   */
  static List<WireProperty> read(WireCursor in, int type) {
    int length = in.vbi("Property Length");
    WireCursor block = in.slice(length, "the properties");
    List<WireProperty> out = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    while (block.remaining() > 0) {
      int id = block.vbi("Property Identifier");
      Def def = id < TABLE.length ? TABLE[id] : null;
      if (def == null || (def.packets & (1 << type)) == 0) {
        throw block.fail(
            String.format(
                "property 0x%02X%s may not appear in %s (section 2.2.2.2, Table 2-4)",
                id, def == null ? "" : " (" + def.name + ")", WireReader.typeName(type)));
      }
      boolean repeatable =
          id == USER_PROPERTY || (id == SUBSCRIPTION_IDENTIFIER && type == WireReader.PUBLISH);
      if (!seen.add(id) && !repeatable) {
        throw block.fail(def.name + " appears more than once, a Protocol Error");
      }
      Object value = readValue(block, def);
      checkValue(block, id, def.name, value);
      out.add(new WireProperty(id, def.name, value));
    }
    return out;
  }

  private static Object readValue(WireCursor in, Def def) {
    return switch (def.kind) {
      case BYTE -> in.u8(def.name);
      case TWO_BYTE -> in.u16(def.name);
      case FOUR_BYTE -> in.u32(def.name);
      case VBI -> in.vbi(def.name);
      case UTF8 -> in.utf8(def.name);
      case BINARY -> in.binary(def.name);
      // [MQTT-1.5.7-1]: both strings are UTF-8 Encoded Strings.
      case PAIR ->
          new WireProperty.StringPair(in.utf8(def.name + " name"), in.utf8(def.name + " value"));
    };
  }

  /* The values the packet sections call a Protocol Error (or forbid outright). */
  private static void checkValue(WireCursor in, int id, String name, Object value) {
    switch (id) {
      case PAYLOAD_FORMAT_INDICATOR, MAXIMUM_QOS, 0x25, 0x28, 0x29, 0x2A -> {
        // 3.3.2.3.2, 3.2.2.3.4 to 3.2.2.3.5, 3.2.2.3.11 to 3.2.2.3.13: the value is 0 or 1.
        if ((Integer) value > 1) {
          throw in.fail(name + " is " + value + ", not 0 or 1");
        }
      }
      case TOPIC_ALIAS -> {
        if ((Integer) value == 0) {
          throw in.fail("Topic Alias 0 [MQTT-3.3.2-8]");
        }
      }
      case SUBSCRIPTION_IDENTIFIER -> {
        if ((Integer) value == 0) {
          throw in.fail("Subscription Identifier 0 is a Protocol Error (section 3.3.2.3.8)");
        }
      }
      case RECEIVE_MAXIMUM -> {
        if ((Integer) value == 0) {
          throw in.fail("Receive Maximum 0 is a Protocol Error (section 3.2.2.3.3)");
        }
      }
      case MAXIMUM_PACKET_SIZE -> {
        if ((Long) value == 0) {
          throw in.fail("Maximum Packet Size 0 is a Protocol Error (section 3.2.2.3.6)");
        }
      }
      case RESPONSE_TOPIC -> {
        String topic = (String) value;
        if (topic.isEmpty() || topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0) {
          throw in.fail("Response Topic '" + topic + "' is not a Topic Name [MQTT-3.3.2-14]");
        }
      }
      default -> {}
    }
  }
}
