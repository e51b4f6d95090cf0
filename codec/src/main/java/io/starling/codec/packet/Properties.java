package io.starling.codec.packet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The MQTT 5.0 properties of one packet, in wire order. Immutable. MQTT 3.1 and 3.1.1 packets
 * always carry {@link #EMPTY}.
 */
public final class Properties {
  /** No properties. */
  public static final Properties EMPTY = new Properties(List.of());

  private final List<Property> entries;

  private Properties(List<Property> entries) {
    this.entries = entries;
  }

  /** Properties holding exactly these entries, in this order. */
  public static Properties of(List<Property> entries) {
    return entries.isEmpty() ? EMPTY : new Properties(List.copyOf(entries));
  }

  /** A builder for properties. */
  public static Builder builder() {
    return new Builder();
  }

  /** All entries in wire order. */
  public List<Property> entries() {
    return entries;
  }

  /** Whether there are no entries. */
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The value of the first entry with this id, or {@code null}. */
  public Object get(PropertyId id) {
    for (Property p : entries) {
      if (p.id() == id) {
        return p.value();
      }
    }
    return null;
  }

  /** Whether an entry with this id is present. */
  public boolean contains(PropertyId id) {
    return get(id) != null;
  }

  /** The integer value of a byte, two-byte or variable byte integer property. */
  public OptionalInt intValue(PropertyId id) {
    return get(id) instanceof Integer i ? OptionalInt.of(i) : OptionalInt.empty();
  }

  /** The value of a four-byte integer property. */
  public OptionalLong longValue(PropertyId id) {
    return get(id) instanceof Long l ? OptionalLong.of(l) : OptionalLong.empty();
  }

  /** The value of a UTF-8 string property. */
  public Optional<String> stringValue(PropertyId id) {
    return get(id) instanceof String s ? Optional.of(s) : Optional.empty();
  }

  /** The value of a binary data property. */
  public Optional<BinaryData> binaryValue(PropertyId id) {
    return get(id) instanceof BinaryData b ? Optional.of(b) : Optional.empty();
  }

  /** The user properties, in order. */
  public List<UserProperty> userProperties() {
    List<UserProperty> out = null;
    for (Property p : entries) {
      if (p.value() instanceof UserProperty u) {
        if (out == null) {
          out = new ArrayList<>();
        }
        out.add(u);
      }
    }
    return out == null ? List.of() : Collections.unmodifiableList(out);
  }

  /** All values of a repeatable integer property (subscription identifiers), in order. */
  public List<Integer> intValues(PropertyId id) {
    List<Integer> out = new ArrayList<>();
    for (Property p : entries) {
      if (p.id() == id && p.value() instanceof Integer i) {
        out.add(i);
      }
    }
    return out;
  }

  /** A copy without any entry of this id. */
  public Properties without(PropertyId id) {
    if (!contains(id)) {
      return this;
    }
    List<Property> out = new ArrayList<>(entries.size());
    for (Property p : entries) {
      if (p.id() != id) {
        out.add(p);
      }
    }
    return of(out);
  }

  /** A copy with one more entry at the end. */
  public Properties with(PropertyId id, Object value) {
    List<Property> out = new ArrayList<>(entries.size() + 1);
    out.addAll(entries);
    out.add(new Property(id, value));
    return of(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Properties other && entries.equals(other.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    return entries.toString();
  }

  /** Collects entries in order. */
  public static final class Builder {
    private final List<Property> entries = new ArrayList<>();

    private Builder() {}

    /** Adds an entry; see {@link Property} for the value types. */
    public Builder add(PropertyId id, Object value) {
      entries.add(new Property(id, value));
      return this;
    }

    /** Adds a user property. */
    public Builder userProperty(String name, String value) {
      return add(PropertyId.USER_PROPERTY, new UserProperty(name, value));
    }

    /** The number of entries so far. */
    public int size() {
      return entries.size();
    }

    /** The properties built so far. */
    public Properties build() {
      return of(entries);
    }
  }
}
