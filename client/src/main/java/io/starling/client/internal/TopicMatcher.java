package io.starling.client.internal;

import io.starling.codec.Topics;

/** Matches topic names against topic filters, as a broker would. Thread-safe (stateless). */
public final class TopicMatcher {
  private TopicMatcher() {}

  /**
   * Whether {@code topic} matches {@code filter}. A shared subscription ({@code $share/g/f})
   * matches as its filter {@code f}; a filter starting with a wildcard does not match topics
   * starting with {@code $} [MQTT-4.7.2-1].
   */
  public static boolean matches(String filter, String topic) {
    String f = filter;
    if (Topics.isShared(f)) {
      int slash = f.indexOf('/', Topics.SHARE_PREFIX.length());
      if (slash < 0) {
        return false;
      }
      f = f.substring(slash + 1);
    }
    if (topic.startsWith("$") && (f.startsWith("+") || f.startsWith("#"))) {
      return false;
    }
    int fi = 0;
    int ti = 0;
    while (true) {
      int fEnd = levelEnd(f, fi);
      String level = f.substring(fi, fEnd);
      if (level.equals("#")) {
        return true;
      }
      if (ti > topic.length()) {
        return false;
      }
      int tEnd = levelEnd(topic, ti);
      if (!level.equals("+") && !level.equals(topic.substring(ti, tEnd))) {
        return false;
      }
      boolean fLast = fEnd == f.length();
      boolean tLast = tEnd == topic.length();
      if (fLast || tLast) {
        // "a/#" also matches "a" [MQTT-4.7.1-2]
        return fLast && tLast || tLast && f.substring(fEnd).equals("/#");
      }
      fi = fEnd + 1;
      ti = tEnd + 1;
    }
  }

  private static int levelEnd(String s, int from) {
    int slash = s.indexOf('/', from);
    return slash < 0 ? s.length() : slash;
  }
}
