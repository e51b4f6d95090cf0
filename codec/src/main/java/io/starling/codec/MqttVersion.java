package io.starling.codec;

/**
 * The MQTT protocol versions Starling speaks, identified on the wire by the protocol name and level
 * in CONNECT.
 */
public enum MqttVersion {
  /** MQTT 3.1: protocol name {@code MQIsdp}, level 3. */
  V3_1("MQIsdp", 3),
  /** MQTT 3.1.1: protocol name {@code MQTT}, level 4. */
  V3_1_1("MQTT", 4),
  /** MQTT 5.0: protocol name {@code MQTT}, level 5. */
  V5("MQTT", 5);

  private final String protocolName;
  private final int level;

  MqttVersion(String protocolName, int level) {
    this.protocolName = protocolName;
    this.level = level;
  }

  /** The protocol name written in CONNECT. */
  public String protocolName() {
    return protocolName;
  }

  /** The protocol level byte written in CONNECT. */
  public int level() {
    return level;
  }

  /** Whether this version carries properties and reason codes (MQTT 5.0). */
  public boolean isV5() {
    return this == V5;
  }

  /**
   * The version for a protocol name and level, or {@code null} when the pair names no version we
   * speak.
   */
  public static MqttVersion of(String protocolName, int level) {
    for (MqttVersion v : values()) {
      if (v.level == level && v.protocolName.equals(protocolName)) {
        return v;
      }
    }
    return null;
  }
}
