package io.starling.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Property;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.UnsubAck;
import io.starling.codec.packet.UserProperty;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Compares the codec's decoding of a packet with {@link WireReader}'s reading of the same bytes,
 * field by field: type, flags (DUP, QoS, RETAIN), packet identifier, Session Present, reason codes,
 * topic, payload bytes and each property. The first field that differs fails with an {@link
 * AssertionError} naming it and both values. Used by {@link RawClient} on every packet it reads.
 */
public final class WireCrossCheck {
  private WireCrossCheck() {}

  /**
   * Checks that {@code decoded} says what {@code wire} says.
   *
   * @throws AssertionError naming the first field that differs, with both values
   */
  public static void check(WirePacket wire, MqttPacket decoded) {
    new Comparison(wire).run(decoded);
  }

  /** The MQTT 5.0 reason code the codec should give a 3.1 or 3.1.1 CONNACK return code. */
  private static int v5CodeOfReturnCode(int returnCode) {
    // 3.1.1 section 3.2.2.3, Table 3.1, mapped to the 5.0 codes of the same meaning (Table 3-1).
    return switch (returnCode) {
      case 0 -> 0x00; // Connection Accepted: Success
      case 1 -> 0x84; // unacceptable protocol version: Unsupported Protocol Version
      case 2 -> 0x85; // identifier rejected: Client Identifier not valid
      case 3 -> 0x88; // Server unavailable
      case 4 -> 0x86; // bad user name or password
      case 5 -> 0x87; // not authorized
      default -> -1;
    };
  }

  private static final class Comparison {
    private final WirePacket wire;

    Comparison(WirePacket wire) {
      this.wire = wire;
    }

    void run(MqttPacket decoded) {
      same(
          "type",
          wire.type() + " (" + wire.typeName() + ")",
          decoded.type().value() + " (" + decoded.type() + ")");
      if (decoded instanceof ConnAck c) {
        same("sessionPresent", wire.sessionPresent(), c.sessionPresent());
        int expected =
            wire.protocolLevel() == WireReader.MQTT_5
                ? wire.reasonCode()
                : v5CodeOfReturnCode(wire.reasonCode());
        same("reasonCode", hex(expected), hex(c.reasonCode()));
        properties(c.properties());
      } else if (decoded instanceof Publish p) {
        same("dup", wire.dup(), p.dup());
        same("qos", wire.qos(), p.qos().value());
        same("retain", wire.retain(), p.retained());
        same("packetId", wire.packetId(), p.packetId());
        same("topic", wire.topic(), p.topic());
        byte[] payload = bytes(p.payload());
        if (!Arrays.equals(wire.payload(), payload)) {
          throw differs("payload", hex(wire.payload()), hex(payload));
        }
        properties(p.properties());
      } else if (decoded instanceof PubAck a) {
        ack(a.packetId(), a.reasonCode(), a.properties());
      } else if (decoded instanceof PubRec a) {
        ack(a.packetId(), a.reasonCode(), a.properties());
      } else if (decoded instanceof PubRel a) {
        ack(a.packetId(), a.reasonCode(), a.properties());
      } else if (decoded instanceof PubComp a) {
        ack(a.packetId(), a.reasonCode(), a.properties());
      } else if (decoded instanceof SubAck s) {
        same("packetId", wire.packetId(), s.packetId());
        same("reasonCodes", hexList(wire.reasonCodes()), hexCodes(s.reasonCodes()));
        properties(s.properties());
      } else if (decoded instanceof UnsubAck u) {
        same("packetId", wire.packetId(), u.packetId());
        same("reasonCodes", hexList(wire.reasonCodes()), hexCodes(u.reasonCodes()));
        properties(u.properties());
      } else if (decoded instanceof Disconnect d) {
        same("reasonCode", hex(wire.reasonCode()), hex(d.reasonCode()));
        properties(d.properties());
      } else if (decoded instanceof Auth a) {
        same("reasonCode", hex(wire.reasonCode()), hex(a.reasonCode()));
        properties(a.properties());
      } else if (!(decoded instanceof PingResp)) {
        throw new AssertionError(
            "cross-check of " + wire.typeName() + ": no server sends " + decoded.type());
      }
    }

    private void ack(int packetId, ReasonCode reasonCode, Properties properties) {
      same("packetId", wire.packetId(), packetId);
      same("reasonCode", hex(wire.reasonCode()), hex(reasonCode));
      properties(properties);
    }

    private void properties(Properties decoded) {
      List<Property> entries = decoded.entries();
      List<WireProperty> read = wire.properties();
      for (int i = 0; i < Math.max(entries.size(), read.size()); i++) {
        String field = "properties[" + i + "]";
        if (i >= read.size()) {
          throw differs(field, "absent", entries.get(i).toString());
        }
        WireProperty w = read.get(i);
        if (i >= entries.size()) {
          throw differs(field, w.toString(), "absent");
        }
        Property p = entries.get(i);
        same(field + ".id", String.format("0x%02X", w.id()), String.format("0x%02X", p.id().id()));
        same(field + " (" + w.name() + ")", comparable(w.value()), comparable(p.value()));
      }
    }

    private void same(String field, Object onTheWire, Object decoded) {
      if (!Objects.equals(onTheWire, decoded)) {
        throw differs(field, String.valueOf(onTheWire), String.valueOf(decoded));
      }
    }

    private AssertionError differs(String field, String onTheWire, String decoded) {
      return new AssertionError(
          "cross-check of "
              + wire.typeName()
              + ": field "
              + field
              + " is "
              + onTheWire
              + " on the wire (independent reader) but "
              + decoded
              + " in the codec's decoding; "
              + wire);
    }
  }

  /** A value both sides can be compared by: numbers as Long, binary as hex, pairs as a list. */
  private static Object comparable(Object value) {
    if (value instanceof Integer i) {
      return (long) i;
    }
    if (value instanceof byte[] b) {
      return hex(b);
    }
    if (value instanceof BinaryData b) {
      return hex(b.toByteArray());
    }
    if (value instanceof WireProperty.StringPair pair) {
      return List.of(pair.name(), pair.value());
    }
    if (value instanceof UserProperty u) {
      return List.of(u.name(), u.value());
    }
    return value;
  }

  private static byte[] bytes(ByteBuf buf) {
    return ByteBufUtil.getBytes(buf, buf.readerIndex(), buf.readableBytes(), true);
  }

  private static String hex(byte[] bytes) {
    return bytes.length <= 64
        ? "0x" + HexFormat.of().formatHex(bytes)
        : bytes.length
            + " bytes starting 0x"
            + HexFormat.of().formatHex(bytes, 0, 32)
            + "... (hash "
            + Arrays.hashCode(bytes)
            + ")";
  }

  private static String hex(int code) {
    return String.format("0x%02X", code);
  }

  private static String hex(ReasonCode code) {
    return hex(code.value());
  }

  private static List<String> hexList(List<Integer> codes) {
    List<String> out = new ArrayList<>(codes.size());
    for (int c : codes) {
      out.add(hex(c));
    }
    return out;
  }

  private static List<String> hexCodes(List<ReasonCode> codes) {
    List<String> out = new ArrayList<>(codes.size());
    for (ReasonCode c : codes) {
      out.add(hex(c));
    }
    return out;
  }
}
