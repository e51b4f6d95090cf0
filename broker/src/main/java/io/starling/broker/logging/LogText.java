package io.starling.broker.logging;

/**
 * Text a client chose (client ids, user names, topics), made safe to log: control characters (CR,
 * LF, tabs, escapes) are written as {@code \n}, {@code \r}, {@code \t} or {@code \\uXXXX}, so one
 * client cannot forge log lines, and the text is cut after {@link #MAX_CHARS} characters, so one
 * client cannot fill the log with a 64 KiB name.
 */
public final class LogText {
  /** Characters kept of one value; the rest is replaced by a count. */
  public static final int MAX_CHARS = 128;

  private LogText() {}

  /** {@code s} escaped and truncated for a log line; {@code null} stays "null". */
  public static String untrusted(String s) {
    if (s == null) {
      return "null";
    }
    int n = Math.min(s.length(), MAX_CHARS);
    if (n == s.length() && isPlain(s)) {
      return s; // the common case costs no copy
    }
    StringBuilder out = new StringBuilder(n + 16);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\\' -> out.append("\\\\");
        default -> {
          if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    if (n < s.length()) {
      out.append("...(").append(s.length()).append(" chars)");
    }
    return out.toString();
  }

  private static boolean isPlain(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' || c == '\u2028' || c == '\u2029' || Character.isISOControl(c)) {
        return false;
      }
    }
    return true;
  }
}
