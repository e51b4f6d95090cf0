package io.starling.cli;

import io.starling.client.Message;
import io.starling.client.MqttClient;
import io.starling.client.MqttClientBuilder;
import io.starling.client.ScramSha512Auth;
import io.starling.client.Transport;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The connection flags {@code starling pub} and {@code starling sub} share, as mosquitto's. */
final class ClientOptions {
  @Option(
      names = {"-h", "--host"},
      paramLabel = "HOST",
      description = "Broker host (default: ${DEFAULT-VALUE}).",
      defaultValue = "localhost")
  String host;

  @Option(
      names = {"-p", "--port"},
      paramLabel = "PORT",
      description = "Broker port (default: 1883, 8883 with TLS, 80 with --ws, 443 with both).")
  Integer port;

  @Option(
      names = {"-i", "--id"},
      paramLabel = "ID",
      description = "Client id (default: starling-pub-/starling-sub- and the process id).")
  String clientId;

  @Option(
      names = {"-u", "--username"},
      paramLabel = "USER",
      description = "User name.")
  String username;

  @Option(
      names = {"-P", "--pw"},
      paramLabel = "PASSWORD",
      description = "Password.")
  String password;

  @Option(
      names = "--scram",
      description =
          "Authenticate -u/-P with SCRAM-SHA-512 (MQTT 5.0 enhanced authentication): the"
              + " password is not sent. Needs -V mqttv5.")
  boolean scram;

  @Option(
      names = {"-V", "--protocol-version"},
      paramLabel = "VERSION",
      description = "mqttv311 (also 311) or mqttv5 (also 5); default: ${DEFAULT-VALUE}.",
      defaultValue = "mqttv311")
  String protocolVersion;

  @Option(
      names = {"-k", "--keepalive"},
      paramLabel = "SECONDS",
      description = "Keep-alive interval (default: ${DEFAULT-VALUE}).",
      defaultValue = "60")
  int keepAliveSeconds;

  @Option(
      names = {"-c", "--disable-clean-session"},
      description = "Persistent session: the broker keeps subscriptions and queues messages.")
  boolean persistent;

  @Option(
      names = {"-x", "--session-expiry"},
      paramLabel = "SECONDS",
      description = "MQTT 5.0 session expiry interval with -c (default: forever with -c).")
  Long sessionExpirySeconds;

  @Option(names = "--ws", description = "Connect over WebSocket (path --ws-path).")
  boolean webSocket;

  @Option(
      names = "--ws-path",
      paramLabel = "PATH",
      description = "WebSocket path (default: ${DEFAULT-VALUE}).",
      defaultValue = "/mqtt")
  String webSocketPath;

  @Option(
      names = "--cafile",
      paramLabel = "FILE",
      description = "PEM certificates to trust; turns TLS on.")
  Path caFile;

  @Option(
      names = "--cert",
      paramLabel = "FILE",
      description = "PEM client certificate (with --key); turns TLS on.")
  Path certFile;

  @Option(
      names = "--key",
      paramLabel = "FILE",
      description = "PEM (PKCS#8) key of the client certificate.")
  Path keyFile;

  @Option(names = "--tls", description = "TLS with the JVM's trusted certificates.")
  boolean tls;

  @Option(names = "--will-topic", paramLabel = "TOPIC", description = "Topic of the will.")
  String willTopic;

  @Option(
      names = "--will-payload",
      paramLabel = "TEXT",
      description = "Payload of the will (default: empty).",
      defaultValue = "")
  String willPayload;

  @Option(
      names = "--will-qos",
      paramLabel = "QOS",
      description = "QoS of the will (default: ${DEFAULT-VALUE}).",
      defaultValue = "0")
  int willQos;

  @Option(names = "--will-retain", description = "Publish the will retained.")
  boolean willRetain;

  /** The protocol version of {@code -V}; a bad value is a usage error. */
  MqttVersion version(CommandLine cmd) {
    switch (protocolVersion.toLowerCase(Locale.ROOT)) {
      case "mqttv311":
      case "311":
      case "3.1.1":
        return MqttVersion.V3_1_1;
      case "mqttv5":
      case "5":
      case "5.0":
        return MqttVersion.V5;
      default:
        throw new CommandLine.ParameterException(
            cmd, "-V must be mqttv311 (311) or mqttv5 (5), not '" + protocolVersion + "'");
    }
  }

  /** A builder for these flags; {@code role} names the default client id. */
  MqttClientBuilder builder(CommandLine cmd, String role) {
    MqttVersion v = version(cmd);
    checkQos(cmd, "--will-qos", willQos);
    if ((certFile == null) != (keyFile == null)) {
      throw new CommandLine.ParameterException(cmd, "--cert and --key go together");
    }
    if (port != null && (port < 1 || port > 65_535)) {
      throw new CommandLine.ParameterException(cmd, "-p must be 1 to 65535, not " + port);
    }
    MqttClientBuilder b =
        MqttClient.builder()
            .host(host)
            .version(v)
            .clientId(clientId != null ? clientId : role + "-" + ProcessHandle.current().pid())
            .cleanStart(!persistent)
            .keepAliveSeconds(keepAliveSeconds)
            .connectTimeout(Duration.ofSeconds(10))
            .credentials(username, password)
            .transport(webSocket ? Transport.WEBSOCKET : Transport.TCP)
            .webSocketPath(webSocketPath);
    if (scram) {
      if (!v.isV5() || username == null || password == null) {
        throw new CommandLine.ParameterException(cmd, "--scram needs -V mqttv5, -u and -P");
      }
      b.credentials(null, null).enhancedAuth(new ScramSha512Auth(username, password.toCharArray()));
    }
    if (persistent && v.isV5()) {
      b.sessionExpirySeconds(sessionExpirySeconds != null ? sessionExpirySeconds : 0xFFFF_FFFFL);
    }
    if (tls || caFile != null || certFile != null) {
      b.tls(caFile, certFile, keyFile);
    }
    if (port != null) {
      b.port(port);
    }
    if (willTopic != null) {
      b.will(
          Message.builder(willTopic).payload(willPayload).qos(willQos).retain(willRetain).build());
    }
    return b;
  }

  static void checkQos(CommandLine cmd, String flag, int qos) {
    if (qos < 0 || qos > 2) {
      throw new CommandLine.ParameterException(cmd, flag + " must be 0, 1 or 2, not " + qos);
    }
  }

  static QoS qos(int value) {
    return QoS.of(value);
  }

  /** Parses {@code name=value} user properties. */
  static List<String[]> userProperties(CommandLine cmd, List<String> pairs) {
    List<String[]> out = new ArrayList<>();
    for (String p : pairs) {
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new CommandLine.ParameterException(
            cmd, "--user-property wants NAME=VALUE, not '" + p + "'");
      }
      out.add(new String[] {p.substring(0, eq), p.substring(eq + 1)});
    }
    return out;
  }
}
