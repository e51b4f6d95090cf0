package io.starling.broker.config;

import io.starling.broker.config.BrokerConfig.Listener;
import io.starling.broker.config.BrokerConfig.Listener.Kind;
import io.starling.broker.config.TlsConfig.CertificateUsername;
import io.starling.broker.config.TlsConfig.ClientAuth;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads the {@code listeners:} list of the config file. Every error names the key with its index,
 * for example {@code listeners[1].tls.cert_file}, and its line.
 */
final class ListenersParser {
  private static final Set<String> LISTENER =
      Set.of(
          "name", "kind", "bind", "port", "allow_anonymous", "max_connections", "tls", "websocket");
  private static final Set<String> TLS =
      Set.of(
          "cert_file",
          "key_file",
          "protocols",
          "ciphers",
          "client_auth",
          "ca_file",
          "certificate_username",
          "reload_interval_seconds");
  private static final Set<String> WEBSOCKET = Set.of("path", "allowed_origins");

  private final ConfigLoader loader;

  ListenersParser(ConfigLoader loader) {
    this.loader = loader;
  }

  List<Listener> parse(Node node) throws ConfigException {
    if (!(node instanceof SequenceNode seq) || seq.getValue().isEmpty()) {
      throw loader.error(
          node, "'listeners' must be a list of listeners (each starting with '- kind: ...')");
    }
    List<Listener> out = new ArrayList<>();
    Map<String, String> namesSeen = new HashMap<>();
    for (int i = 0; i < seq.getValue().size(); i++) {
      Node item = seq.getValue().get(i);
      String key = "listeners[" + i + "]";
      Listener l = listener(item, key);
      String previous = namesSeen.putIfAbsent(l.name(), key);
      if (previous != null) {
        throw loader.error(
            item,
            "'"
                + key
                + ".name' is '"
                + l.name()
                + "', already used by "
                + previous
                + "; give each listener its own name");
      }
      out.add(l);
    }
    return out;
  }

  private Listener listener(Node node, String key) throws ConfigException {
    Map<String, Node> m = loader.mapping(node, key + ".", LISTENER);
    if (!m.containsKey("kind")) {
      throw loader.error(node, "'" + key + ".kind' is missing (tcp, tls, ws or wss)");
    }
    Kind kind = kind(m, key + ".kind");
    int defaultPort =
        switch (kind) {
          case TCP -> 1883;
          case TLS -> 8883;
          case WS -> 8080;
          case WSS -> 8443;
        };
    String name = loader.string(m, key + ".name", kind.configName());
    String bind = loader.string(m, key + ".bind", "0.0.0.0");
    int port = loader.integer(m, key + ".port", defaultPort, 0, 65535);
    Boolean anonymous =
        m.containsKey("allow_anonymous") ? loader.bool(m, key + ".allow_anonymous", false) : null;
    int maxConnections = loader.integer(m, key + ".max_connections", 0, 0, Integer.MAX_VALUE);
    TlsConfig tls = m.containsKey("tls") ? tls(m.get("tls"), key + ".tls") : null;
    WebSocketConfig ws =
        m.containsKey("websocket") ? websocket(m.get("websocket"), key + ".websocket") : null;
    if (kind.isTls() && tls == null) {
      throw loader.error(
          node,
          "'"
              + key
              + ".tls' is missing: a "
              + kind.configName()
              + " listener needs tls.cert_file and tls.key_file");
    }
    if (!kind.isTls() && tls != null) {
      throw loader.error(m.get("tls"), "'" + key + ".tls' only applies to tls and wss listeners");
    }
    if (!kind.isWebSocket() && ws != null) {
      throw loader.error(
          m.get("websocket"), "'" + key + ".websocket' only applies to ws and wss listeners");
    }
    try {
      return new Listener(name, kind, bind, port, anonymous, maxConnections, tls, ws);
    } catch (IllegalArgumentException e) {
      throw loader.error(node, "'" + key + "': " + e.getMessage());
    }
  }

  private Kind kind(Map<String, Node> m, String key) throws ConfigException {
    String text = loader.string(m, key, "tcp");
    try {
      return Kind.valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw loader.error(
          m.get("kind"), "'" + key + "' must be tcp, tls, ws or wss, not '" + text + "'");
    }
  }

  private TlsConfig tls(Node node, String key) throws ConfigException {
    Map<String, Node> m = loader.mapping(node, key + ".", TLS);
    for (String required : List.of("cert_file", "key_file")) {
      if (!m.containsKey(required)) {
        throw loader.error(node, "'" + key + "." + required + "' is missing");
      }
    }
    List<String> protocols =
        m.containsKey("protocols") ? strings(m, key + ".protocols") : TlsConfig.DEFAULT_PROTOCOLS;
    ClientAuth auth = choice(m, key + ".client_auth", ClientAuth.class, ClientAuth.NONE);
    CertificateUsername username =
        choice(
            m, key + ".certificate_username", CertificateUsername.class, CertificateUsername.NONE);
    String ca = loader.string(m, key + ".ca_file", null);
    try {
      return new TlsConfig(
          Path.of(loader.string(m, key + ".cert_file", null)),
          Path.of(loader.string(m, key + ".key_file", null)),
          protocols,
          m.containsKey("ciphers") ? strings(m, key + ".ciphers") : List.of(),
          auth,
          ca == null ? null : Path.of(ca),
          username,
          loader.integer(
              m,
              key + ".reload_interval_seconds",
              TlsConfig.DEFAULT_RELOAD_INTERVAL_SECONDS,
              0,
              Integer.MAX_VALUE));
    } catch (IllegalArgumentException e) {
      throw loader.error(node, "'" + key + "': " + e.getMessage());
    }
  }

  private WebSocketConfig websocket(Node node, String key) throws ConfigException {
    Map<String, Node> m = loader.mapping(node, key + ".", WEBSOCKET);
    String path = loader.string(m, key + ".path", WebSocketConfig.DEFAULT.path());
    if (!path.startsWith("/")) {
      throw loader.error(
          m.get("path"), "'" + key + ".path' must start with '/', not '" + path + "'");
    }
    List<String> origins =
        m.containsKey("allowed_origins") ? strings(m, key + ".allowed_origins") : List.of();
    return new WebSocketConfig(path, origins);
  }

  private <E extends Enum<E>> E choice(Map<String, Node> m, String key, Class<E> type, E fallback)
      throws ConfigException {
    String text = loader.string(m, key, null);
    if (text == null) {
      return fallback;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(text)) {
        return e;
      }
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      names.add(e.name().toLowerCase(Locale.ROOT));
    }
    throw loader.error(
        m.get(key.substring(key.lastIndexOf('.') + 1)),
        "'" + key + "' must be " + String.join(", ", names) + ", not '" + text + "'");
  }

  /** A list of names: a YAML sequence of plain values. */
  private List<String> strings(Map<String, Node> m, String key) throws ConfigException {
    Node node = m.get(key.substring(key.lastIndexOf('.') + 1));
    if (!(node instanceof SequenceNode seq)) {
      throw loader.error(node, "'" + key + "' must be a list, for example [a, b]");
    }
    List<String> out = new ArrayList<>();
    for (Node item : seq.getValue()) {
      if (!(item instanceof ScalarNode s) || s.getValue().isBlank()) {
        throw loader.error(item, "'" + key + "' must hold plain, non-empty values");
      }
      out.add(s.getValue().trim());
    }
    return out;
  }
}
