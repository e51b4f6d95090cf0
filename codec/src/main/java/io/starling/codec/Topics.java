package io.starling.codec;

/**
 * Syntax rules for topic names and topic filters (MQTT 3.1.1 section 4.7, MQTT 5.0 section 4.7 and
 * 4.8.2). UTF-8 well-formedness is checked where the string is decoded; these rules apply to the
 * decoded text.
 */
public final class Topics {
  /** The prefix of an MQTT 5.0 shared subscription filter. */
  public static final String SHARE_PREFIX = "$share/";

  private Topics() {}

  /**
   * Why {@code name} is not a valid topic name for PUBLISH, or {@code null} when it is: it must be
   * at least one character long [MQTT-4.7.3-1] and hold no wildcard [MQTT-3.3.2-2].
   */
  public static String topicNameProblem(String name) {
    if (name.isEmpty()) {
      return "topic name is empty";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '+' || c == '#') {
        return "topic name contains a wildcard";
      }
    }
    return null;
  }

  /**
   * Why {@code filter} is not a valid topic filter, or {@code null} when it is: non-empty
   * [MQTT-4.7.3-1]; {@code #} alone or after a {@code /} and last [MQTT-4.7.1-2]; {@code +} filling
   * a whole level [MQTT-4.7.1-3]. In MQTT 5.0 a filter starting with {@code $share/} must name a
   * share of at least one character without {@code /}, {@code +} or {@code #}, followed by {@code
   * /} and a filter [MQTT-4.8.2-1] [MQTT-4.8.2-2].
   */
  public static String topicFilterProblem(String filter, MqttVersion version) {
    if (filter.isEmpty()) {
      return "topic filter is empty";
    }
    if (version == MqttVersion.V5 && filter.startsWith(SHARE_PREFIX)) {
      int slash = filter.indexOf('/', SHARE_PREFIX.length());
      if (slash < 0) {
        return "shared subscription has no topic filter after the share name";
      }
      String share = filter.substring(SHARE_PREFIX.length(), slash);
      if (share.isEmpty()) {
        return "shared subscription has an empty share name";
      }
      if (share.indexOf('+') >= 0 || share.indexOf('#') >= 0) {
        return "share name contains a wildcard";
      }
      String rest = filter.substring(slash + 1);
      if (rest.isEmpty()) {
        return "shared subscription has an empty topic filter";
      }
      return wildcardProblem(rest);
    }
    return wildcardProblem(filter);
  }

  private static String wildcardProblem(String filter) {
    int n = filter.length();
    for (int i = 0; i < n; i++) {
      char c = filter.charAt(i);
      if (c == '#') {
        if (i != n - 1) {
          return "'#' is not the last character of the filter";
        }
        if (i > 0 && filter.charAt(i - 1) != '/') {
          return "'#' does not follow a '/'";
        }
      } else if (c == '+') {
        boolean startsLevel = i == 0 || filter.charAt(i - 1) == '/';
        boolean endsLevel = i == n - 1 || filter.charAt(i + 1) == '/';
        if (!startsLevel || !endsLevel) {
          return "'+' does not fill a whole topic level";
        }
      }
    }
    return null;
  }

  /** Whether a filter is an MQTT 5.0 shared subscription ({@code $share/group/filter}). */
  public static boolean isShared(String filter) {
    return filter.startsWith(SHARE_PREFIX);
  }

  /** Whether a filter holds a {@code +} or {@code #} wildcard. */
  public static boolean hasWildcard(String filter) {
    return filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0;
  }

  /** The levels of a topic or filter; {@code "a//b"} has an empty middle level, {@code "/"} two. */
  public static String[] split(String topic) {
    int count = count(topic);
    String[] out = new String[count];
    int start = 0;
    for (int i = 0; i < count; i++) {
      int slash = topic.indexOf('/', start);
      int end = slash < 0 ? topic.length() : slash;
      out[i] = topic.substring(start, end);
      start = end + 1;
    }
    return out;
  }

  /** The number of levels: one more than the number of {@code /}. */
  public static int count(String topic) {
    int n = 1;
    for (int i = 0; i < topic.length(); i++) {
      if (topic.charAt(i) == '/') {
        n++;
      }
    }
    return n;
  }

  /**
   * Whether {@code filter} matches {@code topic}, with the filter rules of [MQTT-4.7.1]: {@code #}
   * matches the parent level too, and a leading wildcard never matches a {@code $} topic
   * [MQTT-4.7.2-1].
   */
  public static boolean matches(String filter, String topic) {
    if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) {
      return false;
    }
    String[] f = split(filter);
    String[] t = split(topic);
    int i = 0;
    for (; i < f.length; i++) {
      if (f[i].equals("#")) {
        return true;
      }
      if (i >= t.length) {
        return false;
      }
      if (!f[i].equals("+") && !f[i].equals(t[i])) {
        return false;
      }
    }
    return i == t.length;
  }
}
