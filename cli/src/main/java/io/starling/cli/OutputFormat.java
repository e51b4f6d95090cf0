package io.starling.cli;

import io.starling.client.Message;
import io.starling.codec.packet.UserProperty;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/** How {@code starling sub} prints a message: one line each. */
enum OutputFormat {
  /** The payload alone. */
  PAYLOAD,
  /** {@code topic payload}, as {@code mosquitto_sub -v}. */
  TOPIC,
  /**
   * A JSON object: topic, qos, retain, payload (a string if it is UTF-8, else payload_base64) and
   * the MQTT 5.0 properties that are set.
   */
  JSON;

  String format(Message m) {
    switch (this) {
      case PAYLOAD:
        return m.payloadAsString();
      case TOPIC:
        return m.topic() + " " + m.payloadAsString();
      default:
        return json(m);
    }
  }

  /** Lets picocli accept {@code json}, {@code JSON}, {@code topic}... with a clear error. */
  static final class Converter implements picocli.CommandLine.ITypeConverter<OutputFormat> {
    @Override
    public OutputFormat convert(String s) {
      try {
        return valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException(
            "must be payload, topic or json, not '" + s + "'");
      }
    }
  }

  private static String json(Message m) {
    StringBuilder sb = new StringBuilder(64 + m.payload().length);
    sb.append("{\"topic\":");
    quote(sb, m.topic());
    sb.append(",\"qos\":").append(m.qos().value()).append(",\"retain\":").append(m.retain());
    String text = utf8(m.payload());
    if (text != null) {
      sb.append(",\"payload\":");
      quote(sb, text);
    } else {
      sb.append(",\"payload_base64\":\"")
          .append(Base64.getEncoder().encodeToString(m.payload()))
          .append('"');
    }
    if (!m.userProperties().isEmpty()) {
      sb.append(",\"user_properties\":[");
      for (int i = 0; i < m.userProperties().size(); i++) {
        UserProperty p = m.userProperties().get(i);
        sb.append(i == 0 ? "[" : ",[");
        quote(sb, p.name());
        sb.append(',');
        quote(sb, p.value());
        sb.append(']');
      }
      sb.append(']');
    }
    if (m.messageExpirySeconds() >= 0) {
      sb.append(",\"message_expiry\":").append(m.messageExpirySeconds());
    }
    if (m.responseTopic() != null) {
      sb.append(",\"response_topic\":");
      quote(sb, m.responseTopic());
    }
    if (m.correlationData() != null) {
      sb.append(",\"correlation_data_base64\":\"")
          .append(Base64.getEncoder().encodeToString(m.correlationData()))
          .append('"');
    }
    if (m.contentType() != null) {
      sb.append(",\"content_type\":");
      quote(sb, m.contentType());
    }
    return sb.append('}').toString();
  }

  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
