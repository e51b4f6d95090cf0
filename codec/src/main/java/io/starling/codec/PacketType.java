package io.starling.codec;

/** The 15 MQTT control packet types, with their fixed-header type value. */
public enum PacketType {
  CONNECT(1),
  CONNACK(2),
  PUBLISH(3),
  PUBACK(4),
  PUBREC(5),
  PUBREL(6),
  PUBCOMP(7),
  SUBSCRIBE(8),
  SUBACK(9),
  UNSUBSCRIBE(10),
  UNSUBACK(11),
  PINGREQ(12),
  PINGRESP(13),
  DISCONNECT(14),
  /** MQTT 5.0 only; reserved in 3.1 and 3.1.1. */
  AUTH(15);

  private static final PacketType[] BY_VALUE = new PacketType[16];

  static {
    for (PacketType t : values()) {
      BY_VALUE[t.value] = t;
    }
  }

  private final int value;

  PacketType(int value) {
    this.value = value;
  }

  /** The type value in the high nibble of the first fixed-header byte. */
  public int value() {
    return value;
  }

  /**
   * The flags the fixed header must carry for this type ([MQTT-2.2.2-1]); PUBLISH has variable
   * flags and returns -1.
   */
  public int requiredFlags() {
    return switch (this) {
      case PUBLISH -> -1;
      case PUBREL, SUBSCRIBE, UNSUBSCRIBE -> 0b0010;
      default -> 0;
    };
  }

  /** The type for a value 1 to 15, or {@code null} for the reserved value 0. */
  public static PacketType of(int value) {
    return BY_VALUE[value & 0x0F];
  }
}
