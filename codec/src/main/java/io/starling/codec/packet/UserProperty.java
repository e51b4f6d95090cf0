package io.starling.codec.packet;

import java.util.Objects;

/** One MQTT 5.0 user property: a UTF-8 name and value pair; names may repeat. */
public record UserProperty(String name, String value) {
  public UserProperty {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
  }
}
