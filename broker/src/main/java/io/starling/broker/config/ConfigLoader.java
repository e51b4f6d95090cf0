package io.starling.broker.config;

import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.config.BrokerConfig.QueueOverflow;
import io.starling.broker.config.BrokerConfig.Sys;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Reads the YAML configuration file into a {@link BrokerConfig}. Unknown keys and bad values stop
 * start-up with a {@link ConfigException} that names the key and its line. Keys left out keep their
 * defaults.
 */
public final class ConfigLoader {
  private static final Set<String> TOP =
      Set.of(
          "listeners", "limits", "sys", "io_threads", "mqtt", "security", "abuse", "persistence");
  private static final Set<String> PERSISTENCE =
      Set.of(
          "enabled",
          "data_dir",
          "durability",
          "flush_interval_ms",
          "max_offline_messages",
          "force_start");
  private static final Set<String> LIMITS =
      Set.of(
          "max_connections",
          "max_packet_size",
          "max_inflight_messages",
          "max_queued_messages",
          "queue_overflow",
          "max_topic_levels",
          "connect_timeout_seconds",
          "queue_qos0_while_offline",
          "max_sessions",
          "max_queued_bytes",
          "max_retained_messages",
          "max_retained_bytes",
          "max_subscription_bytes",
          "slow_subscriber_timeout_seconds");
  private static final Set<String> SYS = Set.of("interval_seconds");
  private static final Set<String> MQTT =
      Set.of(
          "maximum_qos",
          "retain_available",
          "topic_alias_maximum",
          "receive_maximum",
          "max_session_expiry_seconds",
          "persistent_session_expiry_seconds",
          "max_keep_alive_seconds",
          "response_information",
          "redirect_to",
          "redirect_permanent");

  private final String source;

  private ConfigLoader(String source) {
    this.source = source;
  }

  /** Reads a configuration file. */
  public static BrokerConfig load(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
    }
    return new ConfigLoader(file.toString()).parse(new StringReader(text));
  }

  /** Reads configuration text; {@code source} names it in errors. */
  public static BrokerConfig parse(String text, String source) throws ConfigException {
    return new ConfigLoader(source).parse(new StringReader(text));
  }

  private BrokerConfig parse(Reader reader) throws ConfigException {
    Node root;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      root = new Yaml(options).compose(reader);
    } catch (YAMLException e) {
      throw new ConfigException(source + ": not valid YAML: " + e.getMessage(), e);
    }
    BrokerConfig defaults = BrokerConfig.defaults();
    if (root == null) {
      return defaults;
    }
    Map<String, Node> top = mapping(root, "", TOP);
    Map<String, Node> limits = section(top, "limits", LIMITS);
    Map<String, Node> sys = section(top, "sys", SYS);
    Map<String, Node> mqtt = section(top, "mqtt", MQTT);
    var listeners =
        top.containsKey("listeners")
            ? new ListenersParser(this).parse(top.get("listeners"))
            : defaults.listeners();
    Limits d = Limits.DEFAULT;
    try {
      Limits parsedLimits =
          new Limits(
              integer(limits, "limits.max_connections", d.maxConnections(), 1, Integer.MAX_VALUE),
              integer(limits, "limits.max_packet_size", d.maxPacketSizeBytes(), 16, 268_435_460),
              integer(limits, "limits.max_inflight_messages", d.maxInflightMessages(), 1, 65535),
              integer(
                  limits,
                  "limits.max_queued_messages",
                  d.maxQueuedMessages(),
                  1,
                  Integer.MAX_VALUE),
              overflow(limits, "limits.queue_overflow", d.queueOverflow()),
              integer(limits, "limits.max_topic_levels", d.maxTopicLevels(), 1, 65535),
              integer(limits, "limits.connect_timeout_seconds", d.connectTimeoutSeconds(), 1, 3600),
              bool(limits, "limits.queue_qos0_while_offline", d.queueQos0WhileOffline()),
              integer(limits, "limits.max_sessions", d.maxSessions(), 1, Integer.MAX_VALUE),
              longInteger(limits, "limits.max_queued_bytes", d.maxQueuedBytes(), 1, Long.MAX_VALUE),
              longInteger(
                  limits,
                  "limits.max_retained_messages",
                  d.maxRetainedMessages(),
                  1,
                  Long.MAX_VALUE),
              longInteger(
                  limits, "limits.max_retained_bytes", d.maxRetainedBytes(), 1, Long.MAX_VALUE),
              longInteger(
                  limits,
                  "limits.max_subscription_bytes",
                  d.maxSubscriptionBytes(),
                  1,
                  Long.MAX_VALUE),
              integer(
                  limits,
                  "limits.slow_subscriber_timeout_seconds",
                  d.slowSubscriberTimeoutSeconds(),
                  0,
                  86_400));
      Sys parsedSys =
          new Sys(
              integer(
                  sys,
                  "sys.interval_seconds",
                  Sys.DEFAULT.intervalSeconds(),
                  0,
                  Integer.MAX_VALUE));
      int ioThreads = integer(top, "io_threads", defaults.ioThreads(), 0, 1024);
      SecuritySections sections = new SecuritySections(this);
      return new BrokerConfig(
          listeners,
          parsedLimits,
          parsedSys,
          ioThreads,
          protocol(mqtt),
          sections.security(top),
          sections.abuse(top),
          persistence(section(top, "persistence", PERSISTENCE)));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(source + ": " + e.getMessage(), e);
    }
  }

  private Protocol protocol(Map<String, Node> mqtt) throws ConfigException {
    Protocol d = Protocol.DEFAULT;
    return new Protocol(
        integer(mqtt, "mqtt.maximum_qos", d.maximumQos(), 0, 2),
        bool(mqtt, "mqtt.retain_available", d.retainAvailable()),
        integer(mqtt, "mqtt.topic_alias_maximum", d.topicAliasMaximum(), 0, 65535),
        integer(mqtt, "mqtt.receive_maximum", d.receiveMaximum(), 1, 65535),
        longInteger(
            mqtt,
            "mqtt.max_session_expiry_seconds",
            d.maxSessionExpirySeconds(),
            Protocol.NEVER_EXPIRES),
        integer(mqtt, "mqtt.max_keep_alive_seconds", d.maxKeepAliveSeconds(), 1, 65535),
        optionalString(mqtt, "mqtt.response_information"),
        optionalString(mqtt, "mqtt.redirect_to"),
        bool(mqtt, "mqtt.redirect_permanent", d.redirectPermanent()),
        longInteger(
            mqtt,
            "mqtt.persistent_session_expiry_seconds",
            d.persistentSessionExpirySeconds(),
            1,
            Protocol.NEVER_EXPIRES));
  }

  private PersistenceConfig persistence(Map<String, Node> p) throws ConfigException {
    PersistenceConfig d = PersistenceConfig.DISABLED;
    boolean enabled = bool(p, "persistence.enabled", d.enabled());
    String dir = scalar(p, "persistence.data_dir");
    if (enabled && (dir == null || dir.isBlank())) {
      throw new ConfigException(
          source + ": 'persistence.data_dir' must be set when persistence.enabled is true");
    }
    String durability = scalar(p, "persistence.durability");
    PersistenceConfig.Durability dur = d.durability();
    if (durability != null) {
      dur =
          switch (durability.trim().toLowerCase(Locale.ROOT)) {
            case "sync" -> PersistenceConfig.Durability.SYNC;
            case "periodic" -> PersistenceConfig.Durability.PERIODIC;
            default ->
                throw error(
                    p.get("durability"),
                    "'persistence.durability' must be sync or periodic, not '" + durability + "'");
          };
    }
    return new PersistenceConfig(
        enabled,
        dir == null || dir.isBlank() ? null : Path.of(dir.trim()),
        dur,
        integer(p, "persistence.flush_interval_ms", d.flushIntervalMillis(), 1, 60_000),
        longInteger(
            p, "persistence.max_offline_messages", d.maxOfflineMessages(), 1, Long.MAX_VALUE),
        bool(p, "persistence.force_start", d.forceStart()));
  }

  private String optionalString(Map<String, Node> section, String key) throws ConfigException {
    String text = scalar(section, key);
    return text == null ? "" : text.trim();
  }

  Map<String, Node> section(Map<String, Node> parent, String key, Set<String> allowed)
      throws ConfigException {
    Node node = parent.get(key);
    return node == null ? Map.of() : mapping(node, key + ".", allowed);
  }

  Map<String, Node> mapping(Node node, String prefix, Set<String> allowed) throws ConfigException {
    if (!(node instanceof MappingNode map)) {
      String what =
          prefix.isEmpty() ? "the top level" : "'" + prefix.substring(0, prefix.length() - 1) + "'";
      throw error(node, what + " must be a mapping of keys to values");
    }
    Map<String, Node> out = new LinkedHashMap<>();
    for (NodeTuple t : map.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode k)) {
        throw error(t.getKeyNode(), "keys must be plain names");
      }
      String key = k.getValue();
      if (allowed != null && !allowed.contains(key)) {
        throw error(
            k,
            "unknown key '"
                + prefix
                + key
                + "' (known here: "
                + String.join(", ", sorted(allowed))
                + ")");
      }
      out.put(key, t.getValueNode());
    }
    return out;
  }

  private static String[] sorted(Set<String> keys) {
    return keys.stream().sorted().toArray(String[]::new);
  }

  ConfigException error(Node node, String message) {
    return new ConfigException(source + ":" + (node.getStartMark().getLine() + 1) + ": " + message);
  }

  String scalar(Map<String, Node> section, String key) throws ConfigException {
    String leaf = key.substring(key.lastIndexOf('.') + 1);
    Node node = section.get(leaf);
    if (node == null) {
      return null;
    }
    if (!(node instanceof ScalarNode s)) {
      throw error(node, "'" + key + "' must be a single value");
    }
    return s.getValue();
  }

  int integer(Map<String, Node> section, String key, int fallback, int min, int max)
      throws ConfigException {
    return (int) longInteger(section, key, fallback, min, max);
  }

  private long longInteger(Map<String, Node> section, String key, long fallback, long max)
      throws ConfigException {
    return longInteger(section, key, fallback, 0, max);
  }

  private long longInteger(Map<String, Node> section, String key, long fallback, long min, long max)
      throws ConfigException {
    String text = scalar(section, key);
    if (text == null) {
      return fallback;
    }
    long value;
    try {
      value = parseSize(text.trim());
    } catch (NumberFormatException e) {
      throw error(
          section.get(leaf(key)), "'" + key + "' must be a whole number, not '" + text + "'");
    }
    if (value < min || value > max) {
      throw error(
          section.get(leaf(key)),
          "'" + key + "' must be between " + min + " and " + max + ", not " + text);
    }
    return value;
  }

  /** Whole numbers, optionally with a binary size suffix: 64KiB, 1MiB, 2GiB (also KB, MB, GB). */
  private static long parseSize(String text) {
    String t = text.toUpperCase(Locale.ROOT).replace("_", "");
    long multiplier = 1;
    for (String[] unit :
        new String[][] {
          {"KIB", "1024"},
          {"MIB", "1048576"},
          {"GIB", "1073741824"},
          {"KB", "1024"},
          {"MB", "1048576"},
          {"GB", "1073741824"}
        }) {
      if (t.endsWith(unit[0])) {
        multiplier = Long.parseLong(unit[1]);
        t = t.substring(0, t.length() - unit[0].length()).trim();
        break;
      }
    }
    return Math.multiplyExact(Long.parseLong(t), multiplier);
  }

  static String leaf(String key) {
    return key.substring(key.lastIndexOf('.') + 1);
  }

  String string(Map<String, Node> section, String key, String fallback) throws ConfigException {
    String text = scalar(section, key);
    if (text != null && text.isBlank()) {
      throw error(section.get(leaf(key)), "'" + key + "' must not be empty");
    }
    return text == null ? fallback : text.trim();
  }

  boolean bool(Map<String, Node> section, String key, boolean fallback) throws ConfigException {
    String text = scalar(section, key);
    if (text == null) {
      return fallback;
    }
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on" -> true;
      case "false", "no", "off" -> false;
      default ->
          throw error(
              section.get(leaf(key)), "'" + key + "' must be true or false, not '" + text + "'");
    };
  }

  private QueueOverflow overflow(Map<String, Node> section, String key, QueueOverflow fallback)
      throws ConfigException {
    String text = scalar(section, key);
    if (text == null) {
      return fallback;
    }
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "drop_new" -> QueueOverflow.DROP_NEW;
      case "drop_oldest" -> QueueOverflow.DROP_OLDEST;
      default ->
          throw error(
              section.get(leaf(key)),
              "'" + key + "' must be drop_new or drop_oldest, not '" + text + "'");
    };
  }
}
