package io.starling.broker.config;

import io.starling.broker.config.AbuseLimits.RateAction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/** Reads the {@code security:} and {@code abuse:} sections for {@link ConfigLoader}. */
final class SecuritySections {
  private static final Set<String> SECURITY =
      Set.of(
          "allow_anonymous",
          "authenticators",
          "password_file",
          "acl_file",
          "reload_interval_seconds",
          "auth_threads",
          "auth_timeout_millis",
          "auth_queue_size",
          "auth_queue_per_address",
          "auth_cache_seconds",
          "jwt",
          "plugins",
          "allow_takeover_by_other_user");
  private static final Set<String> JWT =
      Set.of(
          "hmac_secret_file",
          "rsa_public_key_file",
          "username_claim",
          "publish_claim",
          "subscribe_claim",
          "issuer",
          "audience",
          "clock_skew_seconds");
  private static final Set<String> ABUSE =
      Set.of(
          "max_publish_rate",
          "max_publish_bytes_rate",
          "publish_rate_action",
          "max_subscriptions",
          "max_connections_per_address",
          "max_connection_rate_per_address",
          "flap_connects",
          "flap_window_seconds",
          "flap_cooloff_seconds",
          "max_failed_logins_per_minute",
          "memory_high_watermark_percent",
          "unwritable_timeout_seconds");

  private final ConfigLoader loader;

  SecuritySections(ConfigLoader loader) {
    this.loader = loader;
  }

  SecurityConfig security(Map<String, Node> top) throws ConfigException {
    Map<String, Node> s = loader.section(top, "security", SECURITY);
    Node jwtNode = s.get("jwt");
    Map<String, Node> j =
        jwtNode == null ? Map.of() : loader.mapping(jwtNode, "security.jwt.", JWT);
    SecurityConfig d = SecurityConfig.DEFAULT;
    SecurityConfig.Jwt dj = SecurityConfig.Jwt.DEFAULT;
    String anonymous = loader.string(s, "security.allow_anonymous", "auto");
    Boolean allowAnonymous =
        anonymous.equalsIgnoreCase("auto")
            ? null
            : loader.bool(s, "security.allow_anonymous", true);
    SecurityConfig.Jwt jwt =
        new SecurityConfig.Jwt(
            path(j, "security.jwt.hmac_secret_file"),
            path(j, "security.jwt.rsa_public_key_file"),
            loader.string(j, "security.jwt.username_claim", dj.usernameClaim()),
            loader.string(j, "security.jwt.publish_claim", dj.publishClaim()),
            loader.string(j, "security.jwt.subscribe_claim", dj.subscribeClaim()),
            loader.string(j, "security.jwt.issuer", null),
            loader.string(j, "security.jwt.audience", null),
            loader.integer(j, "security.jwt.clock_skew_seconds", dj.clockSkewSeconds(), 0, 3600));
    return new SecurityConfig(
        allowAnonymous,
        list(s, "security.authenticators"),
        path(s, "security.password_file"),
        path(s, "security.acl_file"),
        loader.integer(s, "security.reload_interval_seconds", d.reloadIntervalSeconds(), 0, 86400),
        loader.integer(s, "security.auth_threads", d.authThreads(), 1, 256),
        loader.integer(
            s, "security.auth_timeout_millis", d.authTimeoutMillis(), 1, Integer.MAX_VALUE),
        loader.integer(s, "security.auth_queue_size", d.authQueueSize(), 1, 1 << 20),
        loader.integer(s, "security.auth_queue_per_address", d.authQueuePerAddress(), 1, 1 << 20),
        loader.integer(s, "security.auth_cache_seconds", d.authCacheSeconds(), 0, 86400),
        jwt,
        plugins(s),
        loader.bool(s, "security.allow_takeover_by_other_user", d.allowTakeoverByOtherUser()));
  }

  AbuseLimits abuse(Map<String, Node> top) throws ConfigException {
    Map<String, Node> a = loader.section(top, "abuse", ABUSE);
    AbuseLimits d = AbuseLimits.DEFAULT;
    int max = Integer.MAX_VALUE;
    return new AbuseLimits(
        loader.integer(a, "abuse.max_publish_rate", d.maxPublishRate(), 0, max),
        loader.integer(a, "abuse.max_publish_bytes_rate", d.maxPublishBytesRate(), 0, max),
        action(a, "abuse.publish_rate_action", d.publishRateAction()),
        loader.integer(a, "abuse.max_subscriptions", d.maxSubscriptions(), 0, max),
        loader.integer(
            a, "abuse.max_connections_per_address", d.maxConnectionsPerAddress(), 0, max),
        loader.integer(
            a, "abuse.max_connection_rate_per_address", d.maxConnectionRatePerAddress(), 0, max),
        loader.integer(a, "abuse.flap_connects", d.flapConnects(), 0, max),
        loader.integer(a, "abuse.flap_window_seconds", d.flapWindowSeconds(), 1, 86400),
        loader.integer(a, "abuse.flap_cooloff_seconds", d.flapCooloffSeconds(), 0, 86400),
        loader.integer(
            a, "abuse.max_failed_logins_per_minute", d.maxFailedLoginsPerMinute(), 0, max),
        loader.integer(
            a, "abuse.memory_high_watermark_percent", d.memoryHighWatermarkPercent(), 0, 100),
        loader.integer(
            a, "abuse.unwritable_timeout_seconds", d.unwritableTimeoutSeconds(), 0, 86400));
  }

  private Path path(Map<String, Node> section, String key) throws ConfigException {
    String text = loader.string(section, key, null);
    return text == null ? null : Path.of(text);
  }

  private List<String> list(Map<String, Node> section, String key) throws ConfigException {
    Node node = section.get(ConfigLoader.leaf(key));
    if (node == null) {
      return List.of();
    }
    if (!(node instanceof SequenceNode seq)) {
      throw loader.error(node, "'" + key + "' must be a list, such as [file, jwt]");
    }
    List<String> out = new ArrayList<>();
    for (Node item : seq.getValue()) {
      if (!(item instanceof ScalarNode v) || v.getValue().isBlank()) {
        throw loader.error(item, "'" + key + "' must list names");
      }
      out.add(v.getValue().trim());
    }
    return out;
  }

  private Map<String, Map<String, String>> plugins(Map<String, Node> s) throws ConfigException {
    Node node = s.get("plugins");
    if (node == null) {
      return Map.of();
    }
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    Map<String, Node> byName = loader.mapping(node, "security.plugins.", null);
    for (Map.Entry<String, Node> e : byName.entrySet()) {
      String prefix = "security.plugins." + e.getKey() + ".";
      Map<String, String> options = new LinkedHashMap<>();
      for (Map.Entry<String, Node> o : loader.mapping(e.getValue(), prefix, null).entrySet()) {
        options.put(
            o.getKey(), loader.scalar(Map.of(o.getKey(), o.getValue()), prefix + o.getKey()));
      }
      out.put(e.getKey(), options);
    }
    return out;
  }

  private RateAction action(Map<String, Node> section, String key, RateAction fallback)
      throws ConfigException {
    String text = loader.string(section, key, null);
    if (text == null) {
      return fallback;
    }
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "throttle" -> RateAction.THROTTLE;
      case "disconnect" -> RateAction.DISCONNECT;
      default ->
          throw loader.error(
              section.get(ConfigLoader.leaf(key)),
              "'" + key + "' must be throttle or disconnect, not '" + text + "'");
    };
  }
}
