package io.starling.testkit;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One MQTT 5.0 property as {@link WireReader} read it (section 2.2.2.2, Table 2-4). The value's
 * Java type follows the property's wire type: {@link Integer} for a Byte, Two Byte Integer or
 * Variable Byte Integer, {@link Long} for a Four Byte Integer, {@link String} for a UTF-8 Encoded
 * String, {@code byte[]} for Binary Data and {@link StringPair} for a UTF-8 String Pair.
 *
 * @param id the property identifier
 * @param name the property's name in the specification
 * @param value the value, of the type above
 */
public record WireProperty(int id, String name, Object value) {
  public WireProperty {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    if (value instanceof byte[] b) {
      value = b.clone();
    }
  }

  /** A User Property's name and value (section 1.5.7). */
  public record StringPair(String name, String value) {
    public StringPair {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
    }
  }

  /** The value; a binary value is a copy. */
  @Override
  public Object value() {
    return value instanceof byte[] b ? b.clone() : value;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof WireProperty other) || id != other.id || !name.equals(other.name)) {
      return false;
    }
    if (value instanceof byte[] a && other.value instanceof byte[] b) {
      return Arrays.equals(a, b);
    }
    return value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return 31 * id + (value instanceof byte[] b ? Arrays.hashCode(b) : value.hashCode());
  }

  @Override
  public String toString() {
    String v = value instanceof byte[] b ? "0x" + HexFormat.of().formatHex(b) : value.toString();
    return String.format("0x%02X %s=%s", id, name, v);
  }
}
