package io.starling.codec;

/**
 * A packet the codec refused. It carries the MQTT 5.0 reason code that names the fault (0x81
 * Malformed Packet, 0x82 Protocol Error, 0x95 Packet Too Large, 0x84 Unsupported Protocol Version,
 * ...), the protocol version when it was known, and whether the fault was in a CONNECT, so that the
 * transport can answer with CONNACK (3.1.1 return code {@link ReasonCode#v3ConnectReturnCode()}, or
 * the 5.0 reason code) or DISCONNECT before it closes the connection.
 *
 * <p>This is the one exception type the decoder throws for bad input.
 */
public final class MalformedPacketException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ReasonCode reasonCode;
  private final transient MqttVersion version;
  private final transient PacketType packetType;

  /**
   * @param reasonCode the MQTT 5.0 reason code that names the fault
   * @param version the protocol version in use, or {@code null} when it is not known yet
   * @param packetType the type of the refused packet, or {@code null} when the fixed header itself
   *     was bad
   * @param message what was wrong, for logs; never includes the peer's bytes verbatim
   */
  public MalformedPacketException(
      ReasonCode reasonCode, MqttVersion version, PacketType packetType, String message) {
    super(message, null, false, false);
    this.reasonCode = reasonCode;
    this.version = version;
    this.packetType = packetType;
  }

  /** The MQTT 5.0 reason code for this fault. */
  public ReasonCode reasonCode() {
    return reasonCode;
  }

  /** The protocol version in use when the fault was found, or {@code null} if not known. */
  public MqttVersion version() {
    return version;
  }

  /** The type of the refused packet, or {@code null} if its fixed header was bad. */
  public PacketType packetType() {
    return packetType;
  }

  /** Whether the refused packet was a CONNECT, which is answered with a CONNACK. */
  public boolean isConnect() {
    return packetType == PacketType.CONNECT;
  }

  /** The MQTT 3.1/3.1.1 CONNACK return code for this fault. */
  public int v3ConnectReturnCode() {
    return reasonCode.v3ConnectReturnCode();
  }

  @Override
  public String toString() {
    return "MalformedPacketException["
        + reasonCode
        + (packetType == null ? "" : ", " + packetType)
        + (version == null ? "" : ", " + version)
        + "]: "
        + getMessage();
  }
}
