package io.starling.client;

/**
 * MQTT 5.0 enhanced authentication (a challenge/response exchange of AUTH packets, for example
 * SCRAM). The client sends {@link #method()} and {@link #initialData()} in CONNECT and answers
 * every AUTH "continue authentication" from the broker with {@link #respond(byte[])}. Called on the
 * client's I/O thread: do not block.
 */
public interface EnhancedAuth {
  /** The authentication method, for example {@code SCRAM-SHA-256}. */
  String method();

  /** The authentication data for CONNECT, or {@code null} for none. */
  byte[] initialData();

  /**
   * The answer to one challenge.
   *
   * @param challenge the broker's authentication data (empty if it sent none)
   * @return the authentication data to send back
   * @throws MqttClientException to give up; the connection is closed
   */
  byte[] respond(byte[] challenge);

  /** Called with the broker's final authentication data (in CONNACK); default: ignored. */
  default void succeeded(byte[] serverData) {}
}
