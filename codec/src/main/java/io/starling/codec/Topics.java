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
}
