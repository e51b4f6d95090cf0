package io.starling.broker.routing;

/** Splitting topic names and filters into levels. */
public final class Levels {
  private Levels() {}

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

  /** Whether {@code filter} matches {@code topic}, by the same rules as {@link TopicTree}. */
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
