package io.starling.codec.packet;

import java.util.Objects;

/**
 * One MQTT 5.0 property. The value's Java type follows the wire type: {@link Integer} for byte,
 * two-byte and variable byte integers, {@link Long} for four-byte integers (unsigned), {@link
 * String} for UTF-8 strings, {@link BinaryData} for binary data and {@link UserProperty} for string
 * pairs.
 */
public record Property(PropertyId id, Object value) {
  public Property {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(value, "value");
    boolean ok =
        switch (id.type()) {
          case BYTE -> value instanceof Integer i && i >= 0 && i <= 0xFF;
          case TWO_BYTE_INTEGER -> value instanceof Integer i && i >= 0 && i <= 0xFFFF;
          case VARIABLE_BYTE_INTEGER -> value instanceof Integer i && i >= 0 && i <= 268_435_455;
          case FOUR_BYTE_INTEGER -> value instanceof Long l && l >= 0 && l <= 0xFFFF_FFFFL;
          case UTF8_STRING -> value instanceof String;
          case BINARY_DATA -> value instanceof BinaryData;
          case UTF8_STRING_PAIR -> value instanceof UserProperty;
        };
    if (!ok) {
      throw new IllegalArgumentException(
          "value " + value + " does not fit property " + id + " of type " + id.type());
    }
  }
}
