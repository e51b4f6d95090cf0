package io.starling.broker.security;

import io.starling.codec.MqttVersion;
import io.starling.codec.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Topic permissions from an ACL file. One rule a line, {@code #} starts a comment:
 *
 * <pre>
 *   user alice        readwrite  home/alice/#
 *   client sensor-7   write      sensors/%c/#
 *   all               read       public/#
 *   all               deny       public/secret/#
 *   all               readwrite  users/%u/#
 * </pre>
 *
 * <p><b>First match wins.</b> For a PUBLISH (write) or a delivery (read) the rules are read from
 * the top; the first rule whose subject fits the client and whose filter matches the topic, and
 * that either allows that access or is {@code deny}, decides. For a SUBSCRIBE the first rule whose
 * filter contains every topic of the subscription filter (and allows read, or denies) decides;
 * every delivery is then checked again by topic, so a {@code deny} inside an allowed subtree holds
 * even for a wider subscription. No deciding rule means denied. Put specific rules (and denies)
 * before general ones.
 *
 * <p>{@code %u} is replaced by the user name and {@code %c} by the client id, in one pass over the
 * filter; a rule using one does not apply to a client without a user name, or whose name or id
 * contains {@code /}, {@code +} or {@code #} (it could otherwise widen the rule) or {@code %} (a
 * user named {@code %c} must not become its client id). The user name is the one the client proved
 * (see {@link Security}); the client id is whatever the client says, so {@code client} rules and
 * {@code %c} are only as good as the client's word. {@code $SYS/#} is read-only for everyone: after
 * the file's rules comes an implicit {@code all read $SYS/#}, and writing to {@code $} topics is
 * never allowed. Immutable and thread-safe.
 */
public final class Acl {
  /** Reading (subscribing and receiving) or writing (publishing). */
  public enum Access {
    READ,
    WRITE
  }

  private enum Subject {
    ALL,
    USER,
    CLIENT
  }

  private enum Grant {
    READ,
    WRITE,
    READWRITE,
    DENY
  }

  /**
   * One line of the file.
   *
   * @param where {@code file:line}, for messages; null for the implicit rules
   */
  private record Rule(Subject subject, String name, Grant grant, String filter, String where) {
    /** Whether the rule is about user names: a {@code user} rule, or one with {@code %u}. */
    boolean namesUsers() {
      return subject == Subject.USER || filter.contains("%u");
    }

    boolean appliesTo(String user, String clientId) {
      return switch (subject) {
        case ALL -> true;
        case USER -> name.equals(user);
        case CLIENT -> name.equals(clientId);
      };
    }

    /** Whether the rule decides for {@code access}: it allows it, or it denies everything. */
    boolean decides(Access access) {
      return grant == Grant.DENY
          || grant == Grant.READWRITE
          || (grant == Grant.READ) == (access == Access.READ);
    }
  }

  /** Allows everything but writing to {@code $} topics: what applies without an ACL file. */
  private static final Rule SYS_READ = new Rule(Subject.ALL, null, Grant.READ, "$SYS/#", null);

  public static final Acl ALLOW_ALL =
      new Acl(List.of(new Rule(Subject.ALL, null, Grant.READWRITE, "#", null), SYS_READ));

  private final List<Rule> rules;

  private Acl(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** Reads an ACL file. */
  public static Acl load(Path file) throws IOException {
    return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /**
   * Parses ACL text; {@code source} names it in errors.
   *
   * @throws IOException naming the line of the first bad rule
   */
  public static Acl parse(String text, String source) throws IOException {
    List<Rule> rules = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      // '#' starts a comment only at the start of a line: inside a rule it is a wildcard.
      String trimmed = lines[i].strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      try {
        rules.add(rule(trimmed, source + ":" + (i + 1)));
      } catch (IllegalArgumentException e) {
        throw new IOException(source + ":" + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    rules.add(SYS_READ);
    return new Acl(rules);
  }

  private static Rule rule(String line, String where) {
    String[] t = line.split("\\s+", 4);
    Subject subject;
    String name = null;
    int next;
    switch (t[0].toLowerCase(Locale.ROOT)) {
      case "all" -> {
        subject = Subject.ALL;
        next = 1;
      }
      case "user", "client" -> {
        subject = t[0].equalsIgnoreCase("user") ? Subject.USER : Subject.CLIENT;
        if (t.length < 2) {
          throw new IllegalArgumentException("'" + t[0] + "' needs a name");
        }
        name = t[1];
        next = 2;
      }
      default ->
          throw new IllegalArgumentException(
              "a rule starts with 'user NAME', 'client ID' or 'all', not '" + t[0] + "'");
    }
    String[] rest = line.split("\\s+", next + 2);
    if (rest.length < next + 2) {
      throw new IllegalArgumentException("expected: WHO read|write|readwrite|deny FILTER");
    }
    Grant grant;
    try {
      grant = Grant.valueOf(rest[next].toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "access must be read, write, readwrite or deny, not '" + rest[next] + "'", e);
    }
    String filter = rest[next + 1].strip();
    String problem = Topics.topicFilterProblem(filter, MqttVersion.V3_1_1);
    if (problem != null) {
      throw new IllegalArgumentException("bad topic filter '" + filter + "': " + problem);
    }
    return new Rule(subject, name, grant, filter, where);
  }

  /**
   * Where the rules about user names are ({@code file:line}: {@code user} rules and filters with
   * {@code %u}), in file order: without a way to prove user names they apply to nobody.
   */
  public List<String> rulesNamingUsers() {
    List<String> out = new ArrayList<>();
    for (Rule r : rules) {
      if (r.where() != null && r.namesUsers()) {
        out.add(r.where());
      }
    }
    return out;
  }

  /** Whether the client may publish to, or receive from, {@code topic}. */
  public boolean allows(String user, String clientId, String topic, Access access) {
    if (access == Access.WRITE && topic.startsWith("$")) {
      return false;
    }
    for (Rule r : rules) {
      if (r.appliesTo(user, clientId) && r.decides(access)) {
        String filter = substitute(r.filter, user, clientId);
        if (filter != null && Topics.matches(filter, topic)) {
          return r.grant != Grant.DENY;
        }
      }
    }
    return false;
  }

  /** Whether the client may subscribe to {@code filter}. */
  public boolean allowsSubscribe(String user, String clientId, String filter) {
    filter = withoutSharePrefix(filter);
    for (Rule r : rules) {
      if (r.appliesTo(user, clientId) && r.decides(Access.READ)) {
        String ruleFilter = substitute(r.filter, user, clientId);
        if (ruleFilter != null && covers(ruleFilter, filter)) {
          return r.grant != Grant.DENY;
        }
      }
    }
    return false;
  }

  /** A shared subscription ($share/GROUP/FILTER) is judged by its FILTER. */
  static String withoutSharePrefix(String filter) {
    if (filter.startsWith("$share/")) {
      int slash = filter.indexOf('/', "$share/".length());
      return slash < 0 ? filter : filter.substring(slash + 1);
    }
    return filter;
  }

  /**
   * The filter with %u and %c replaced, or null when the rule cannot apply safely. One pass: what a
   * substitution puts in is never read again, and a name with {@code %} in it is refused anyway.
   */
  private static String substitute(String filter, String user, String clientId) {
    int at = filter.indexOf('%');
    if (at < 0) {
      return filter;
    }
    StringBuilder out = new StringBuilder(filter.length() + 32);
    out.append(filter, 0, at);
    for (int i = at; i < filter.length(); i++) {
      char c = filter.charAt(i);
      char next = i + 1 < filter.length() ? filter.charAt(i + 1) : 0;
      if (c == '%' && (next == 'u' || next == 'c')) {
        String value = next == 'u' ? user : clientId;
        if (!isPlainLevel(value)) {
          return null;
        }
        out.append(value);
        i++;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static boolean isPlainLevel(String s) {
    return s != null
        && !s.isEmpty()
        && s.indexOf('/') < 0
        && s.indexOf('+') < 0
        && s.indexOf('#') < 0
        && s.indexOf('%') < 0;
  }

  /**
   * Whether every topic matched by {@code inner} is matched by {@code outer} (both filters). The
   * leading-wildcard rule for {@code $} topics is respected: {@code #} does not cover {@code
   * $SYS/#}.
   */
  public static boolean covers(String outer, String inner) {
    String[] o = Topics.split(outer);
    String[] in = Topics.split(inner);
    if (inner.startsWith("$") && (o[0].equals("#") || o[0].equals("+"))) {
      return false;
    }
    int i = 0;
    for (; i < o.length; i++) {
      if (o[i].equals("#")) {
        return true;
      }
      if (i >= in.length) {
        return false;
      }
      if (in[i].equals("#")) {
        return false;
      }
      if (!o[i].equals("+") && (in[i].equals("+") || !o[i].equals(in[i]))) {
        return false;
      }
    }
    return i == in.length;
  }
}
