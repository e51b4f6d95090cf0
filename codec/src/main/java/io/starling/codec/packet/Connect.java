package io.starling.codec.packet;

import io.starling.codec.MqttVersion;
import io.starling.codec.PacketType;
import java.util.Objects;

/**
 * CONNECT: the first packet a client sends.
 *
 * @param version the protocol version the client asked for
 * @param clientId the client identifier, possibly empty
 * @param cleanStart "clean session" in 3.1/3.1.1, "clean start" in 5.0
 * @param keepAliveSeconds the keep-alive interval, 0 to 65535; 0 turns keep-alive off
 * @param username the user name, or {@code null}
 * @param password the password, or {@code null}
 * @param will the will message, or {@code null}
 * @param properties the CONNECT properties (MQTT 5.0)
 */
public record Connect(
    MqttVersion version,
    String clientId,
    boolean cleanStart,
    int keepAliveSeconds,
    String username,
    BinaryData password,
    Will will,
    Properties properties)
    implements MqttPacket {
  public Connect {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(properties, "properties");
    if (keepAliveSeconds < 0 || keepAliveSeconds > 0xFFFF) {
      throw new IllegalArgumentException("keepAliveSeconds out of range: " + keepAliveSeconds);
    }
  }

  @Override
  public PacketType type() {
    return PacketType.CONNECT;
  }
}
