package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Keeps the conformance documents honest: {@code docs/conformance.md} (MQTT 3.1.1) and {@code
 * docs/conformance-v5.md} (MQTT 5.0). In each, every numbered statement of its specification
 * appears in exactly one row, every row says what covers it, and every {@code Class#method} it
 * names is a test method that exists in some module's {@code src/test/java}.
 */
class ConformanceDocTest {
  /**
   * One document and the statement ids of its specification.
   *
   * @param path the document, relative to the project root
   * @param ids every statement id, {@code <section>-<n>}
   */
  record Doc(String path, Set<String> ids) {
    @Override
    public String toString() {
      return path;
    }
  }

  /**
   * The numbered statements of MQTT 3.1.1 (OASIS Standard, 29 October 2014): the number of
   * statements {@code [MQTT-<section>-1]} to {@code [MQTT-<section>-n]} in each section.
   */
  private static final Map<String, Integer> V311_STATEMENTS_PER_SECTION = new LinkedHashMap<>();

  static {
    Map<String, Integer> m = V311_STATEMENTS_PER_SECTION;
    m.put("1.5.3", 3);
    m.put("2.2.2", 2);
    m.put("2.3.1", 7);
    m.put("3.1.0", 2);
    m.put("3.1.2", 24);
    m.put("3.1.3", 11);
    m.put("3.1.4", 5);
    m.put("3.2.0", 1);
    m.put("3.2.2", 6);
    m.put("3.3.1", 12);
    m.put("3.3.2", 3);
    m.put("3.3.4", 1);
    m.put("3.3.5", 2);
    m.put("3.6.1", 1);
    m.put("3.8.1", 1);
    m.put("3.8.3", 4);
    m.put("3.8.4", 6);
    m.put("3.9.3", 2);
    m.put("3.10.1", 1);
    m.put("3.10.3", 2);
    m.put("3.10.4", 6);
    m.put("3.12.4", 1);
    m.put("3.14.1", 1);
    m.put("3.14.4", 3);
    m.put("4.1.0", 2);
    m.put("4.3.1", 1);
    m.put("4.3.2", 2);
    m.put("4.3.3", 2);
    m.put("4.4.0", 1);
    m.put("4.5.0", 2);
    m.put("4.6.0", 6);
    m.put("4.7.1", 3);
    m.put("4.7.2", 1);
    m.put("4.7.3", 4);
    m.put("4.8.0", 2);
    m.put("6.0.0", 4);
    m.put("7.0.0", 2);
    m.put("7.1.1", 1);
    m.put("7.1.2", 1);
  }

  /**
   * The numbered statements of MQTT 5.0 (OASIS Standard, 7 March 2019): the statement numbers of
   * each section, 251 in all. Section 2.2.1 starts at 2, and the statement of section 4.2 is tagged
   * {@code [MQTT-4.2-1]} in the body ({@code 4.2.0-1} in Appendix B; the body's id is used).
   */
  private static final Map<String, List<Integer>> V5_STATEMENTS_PER_SECTION = new LinkedHashMap<>();

  static {
    Map<String, List<Integer>> m = V5_STATEMENTS_PER_SECTION;
    m.put("1.5.4", upTo(3));
    m.put("1.5.5", upTo(1));
    m.put("1.5.7", upTo(1));
    m.put("2.1.3", upTo(1));
    m.put("2.2.1", List.of(2, 3, 4, 5, 6));
    m.put("2.2.2", upTo(1));
    m.put("3.1.0", upTo(2));
    m.put("3.1.2", upTo(30));
    m.put("3.1.3", upTo(12));
    m.put("3.1.4", upTo(6));
    m.put("3.2.0", upTo(2));
    m.put("3.2.2", upTo(22));
    m.put("3.3.1", upTo(13));
    m.put("3.3.2", upTo(20));
    m.put("3.3.4", upTo(10));
    m.put("3.4.2", upTo(3));
    m.put("3.5.2", upTo(3));
    m.put("3.6.1", upTo(1));
    m.put("3.6.2", upTo(3));
    m.put("3.7.2", upTo(3));
    m.put("3.8.1", upTo(1));
    m.put("3.8.3", upTo(5));
    m.put("3.8.4", upTo(8));
    m.put("3.9.2", upTo(2));
    m.put("3.9.3", upTo(2));
    m.put("3.10.1", upTo(1));
    m.put("3.10.3", upTo(2));
    m.put("3.10.4", upTo(6));
    m.put("3.11.2", upTo(2));
    m.put("3.11.3", upTo(2));
    m.put("3.12.4", upTo(1));
    m.put("3.14.0", upTo(1));
    m.put("3.14.1", upTo(1));
    m.put("3.14.2", upTo(4));
    m.put("3.14.4", upTo(3));
    m.put("3.15.1", upTo(1));
    m.put("3.15.2", upTo(3));
    m.put("4.1.0", upTo(2));
    m.put("4.2", upTo(1));
    m.put("4.3.1", upTo(1));
    m.put("4.3.2", upTo(5));
    m.put("4.3.3", upTo(13));
    m.put("4.4.0", upTo(2));
    m.put("4.5.0", upTo(2));
    m.put("4.6.0", upTo(6));
    m.put("4.7.0", upTo(1));
    m.put("4.7.1", upTo(2));
    m.put("4.7.2", upTo(1));
    m.put("4.7.3", upTo(4));
    m.put("4.8.2", upTo(6));
    m.put("4.9.0", upTo(3));
    m.put("4.12.0", upTo(7));
    m.put("4.12.1", upTo(2));
    m.put("4.13.1", upTo(1));
    m.put("4.13.2", upTo(1));
    m.put("6.0.0", upTo(4));
  }

  static final Doc V311 = new Doc("docs/conformance.md", ids311());
  static final Doc V5 = new Doc("docs/conformance-v5.md", ids5());

  private static final Pattern STATEMENT_ID = Pattern.compile("\\[MQTT-(\\d+(?:\\.\\d+)+-\\d+)]");
  private static final String CLIENT_ONLY_HEADING = "## Statements that bind the Client only";
  private static final Pattern COUNT_ROW =
      Pattern.compile("(?m)^\\| (?:&nbsp;)*([^|]+?) \\| (\\d+) \\|$");
  private static final Pattern TEST_REFERENCE =
      Pattern.compile("\\b([A-Z][A-Za-z0-9_]*)#([a-zA-Z_][A-Za-z0-9_]*)");

  private static final Pattern DECLARED_NAME =
      Pattern.compile("\\s+([A-Za-z_$][A-Za-z0-9_$]*)\\s*\\(");

  private static final Set<String> TEST_ANNOTATIONS =
      Set.of(
          "Test",
          "ParameterizedTest",
          "RepeatedTest",
          "TestFactory",
          "TestTemplate",
          "Property",
          "Example");

  /** One statement row: its id, what it requires, and what covers it. */
  record Row(int line, String id, String requirement, String coveredBy) {}

  static Stream<Doc> documents() {
    return Stream.of(V311, V5);
  }

  @Test
  void theStatementListsHaveTheSpecificationsCounts() {
    assertThat(V311.ids()).hasSize(141);
    assertThat(V5.ids()).hasSize(251).contains("4.2-1", "2.2.1-2").doesNotContain("2.2.1-1");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("documents")
  void everyStatementOfTheSpecificationHasExactlyOneRow(Doc doc) throws IOException {
    List<Row> rows = statementRows(read(doc));
    Map<String, Long> counts =
        rows.stream().collect(Collectors.groupingBy(Row::id, TreeMap::new, Collectors.counting()));
    assertThat(counts.keySet()).as("statement ids with a row").isEqualTo(new TreeSet<>(doc.ids()));
    assertThat(counts).as("rows per statement id").allSatisfy((id, n) -> assertThat(n).isOne());
    assertThat(rows).hasSize(doc.ids().size());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("documents")
  void theCountTableAddsUpTheRows(Doc doc) throws IOException {
    String text = read(doc);
    int split = text.indexOf(CLIENT_ONLY_HEADING);
    assertThat(split).as("%s has a section %s", doc.path(), CLIENT_ONLY_HEADING).isPositive();
    List<Row> chapters = statementRows(text.substring(0, split));
    long na = chapters.stream().filter(r -> r.coveredBy().startsWith("n/a: ")).count();
    long gap = chapters.stream().filter(r -> r.coveredBy().startsWith("GAP: ")).count();
    Map<String, Integer> table = countTable(text);
    assertThat(table)
        .as("the count table of %s", doc.path())
        .containsEntry("In MQTT", doc.ids().size())
        .containsEntry("Bind the Client only", statementRows(text.substring(split)).size())
        .containsEntry("Bind a Server", chapters.size())
        .containsEntry("covered by tests", (int) (chapters.size() - na - gap))
        .containsEntry("n/a", (int) na)
        .containsEntry("GAP", (int) gap);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("documents")
  void everyRowSaysWhatCoversIt(Doc doc) throws IOException {
    List<String> problems = new ArrayList<>();
    for (Row r : statementRows(read(doc))) {
      String where = doc.path() + " line " + r.line() + ", [MQTT-" + r.id() + "]: ";
      if (r.requirement().isBlank()) {
        problems.add(where + "no paraphrase of what it requires");
      }
      boolean namesATest = TEST_REFERENCE.matcher(r.coveredBy()).find();
      boolean explained = r.coveredBy().startsWith("n/a: ") || r.coveredBy().startsWith("GAP: ");
      if (!namesATest && !explained) {
        problems.add(where + "\"Covered by\" names no test and does not start with n/a: or GAP:");
      }
    }
    assertThat(problems).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("documents")
  void everyTestItNamesIsATestMethodThatExists(Doc doc) throws IOException {
    String text = read(doc);
    Map<String, List<Path>> sourcesByClass = testSourcesByClassName(root(doc));
    Set<String> references = new TreeSet<>();
    Matcher m = TEST_REFERENCE.matcher(text);
    while (m.find()) {
      references.add(m.group());
    }
    assertThat(references).as("test references in %s", doc.path()).isNotEmpty();
    List<String> missing = new ArrayList<>();
    for (String reference : references) {
      String className = reference.substring(0, reference.indexOf('#'));
      String method = reference.substring(reference.indexOf('#') + 1);
      List<Path> files = sourcesByClass.getOrDefault(className, List.of());
      boolean declared = false;
      for (Path file : files) {
        declared |= declaresTestMethod(Files.readString(file, StandardCharsets.UTF_8), method);
      }
      if (files.isEmpty()) {
        missing.add(reference + ": no " + className + ".java under */src/test/java");
      } else if (!declared) {
        missing.add(reference + ": no test method " + method + "( in " + files);
      }
    }
    assertThat(missing).isEmpty();
  }

  @Test
  void theScannerFindsAnnotatedTestMethodsOnly() {
    String source =
        String.join(
            "\n",
            "class X {",
            "  /** Calls {@link #helper()}; not {@code void fake(}. */",
            "  @ParameterizedTest(name = \"{0}\")",
            "  @ValueSource(strings = {\"a\", \"}\"})",
            "  void parameterized(String s) {}",
            "  @Test",
            "  // a comment with void commented(",
            "  void plain() { String t = \"void inString(\"; }",
            "  @Override",
            "  public void notATest() {}",
            "  void helper() {}",
            "}");
    assertThat(declaresTestMethod(source, "parameterized")).isTrue();
    assertThat(declaresTestMethod(source, "plain")).isTrue();
    for (String name : List.of("fake", "commented", "inString", "notATest", "helper", "absent")) {
      assertThat(declaresTestMethod(source, name)).as(name).isFalse();
    }
  }

  // ---- statement ids ------------------------------------------------------------------------

  private static List<Integer> upTo(int n) {
    return IntStream.rangeClosed(1, n).boxed().toList();
  }

  private static Set<String> ids311() {
    Set<String> ids = new TreeSet<>();
    V311_STATEMENTS_PER_SECTION.forEach(
        (section, count) -> upTo(count).forEach(n -> ids.add(section + "-" + n)));
    return Set.copyOf(ids);
  }

  private static Set<String> ids5() {
    Set<String> ids = new TreeSet<>();
    V5_STATEMENTS_PER_SECTION.forEach(
        (section, numbers) -> numbers.forEach(n -> ids.add(section + "-" + n)));
    return Set.copyOf(ids);
  }

  // ---- parsing ------------------------------------------------------------------------------

  private static String read(Doc doc) throws IOException {
    return Files.readString(locate(doc.path()), StandardCharsets.UTF_8);
  }

  /** The project root: the directory that holds {@code docs/}. */
  private static Path root(Doc doc) {
    return locate(doc.path()).getParent().getParent();
  }

  /**
   * The document: under {@code starling.home} if set, else the first directory up that holds it.
   */
  private static Path locate(String doc) {
    String home = System.getProperty("starling.home");
    if (home != null && !home.isBlank()) {
      Path path = Path.of(home).resolve(doc);
      assertThat(path).as("starling.home=%s", home).isRegularFile();
      return path.toAbsolutePath();
    }
    Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      Path path = dir.resolve(doc);
      if (Files.isRegularFile(path)) {
        return path;
      }
    }
    throw new AssertionError("no " + doc + " in " + start + " or any directory above it");
  }

  /**
   * The rows of the count table, by the start of their label ({@code In MQTT}, {@code Bind the
   * Client only}, {@code Bind a Server}, {@code covered by tests}, {@code n/a}, {@code GAP}).
   */
  private static Map<String, Integer> countTable(String markdown) {
    Map<String, Integer> out = new LinkedHashMap<>();
    Matcher m = COUNT_ROW.matcher(markdown);
    while (m.find()) {
      for (String label :
          List.of(
              "In MQTT",
              "Bind the Client only",
              "Bind a Server",
              "covered by tests",
              "n/a",
              "GAP")) {
        if (m.group(1).startsWith(label)) {
          out.put(label, Integer.parseInt(m.group(2)));
        }
      }
    }
    return out;
  }

  /**
   * The table rows whose first cell is a statement id. Other rows (headers, separators) and text
   * outside tables are ignored; a row must have exactly the three columns.
   */
  private static List<Row> statementRows(String markdown) {
    List<Row> out = new ArrayList<>();
    String[] lines = markdown.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (!line.startsWith("|")) {
        continue;
      }
      List<String> cells = cells(line);
      Matcher id = STATEMENT_ID.matcher(cells.get(0));
      if (!id.matches()) {
        continue;
      }
      assertThat(cells).as("line %d: three columns", i + 1).hasSize(3);
      out.add(new Row(i + 1, id.group(1), cells.get(1), cells.get(2)));
    }
    return out;
  }

  /** The cells of a markdown table row, trimmed; {@code \|} is a literal bar. */
  private static List<String> cells(String row) {
    String body = row.substring(1, row.endsWith("|") ? row.length() - 1 : row.length());
    List<String> cells = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c == '\\' && i + 1 < body.length() && body.charAt(i + 1) == '|') {
        cell.append('|');
        i++;
      } else if (c == '|') {
        cells.add(cell.toString().strip());
        cell.setLength(0);
      } else {
        cell.append(c);
      }
    }
    cells.add(cell.toString().strip());
    return cells;
  }

  // ---- test sources -------------------------------------------------------------------------

  /** Every {@code *.java} under {@code <module>/src/test/java}, by simple file name. */
  private static Map<String, List<Path>> testSourcesByClassName(Path root) throws IOException {
    Map<String, List<Path>> out = new LinkedHashMap<>();
    try (Stream<Path> modules = Files.list(root)) {
      for (Path module : modules.sorted().toList()) {
        Path tests = module.resolve("src/test/java");
        if (!Files.isDirectory(tests)) {
          continue;
        }
        try (Stream<Path> files = Files.walk(tests)) {
          files
              .filter(f -> f.getFileName().toString().endsWith(".java"))
              .forEach(
                  f -> {
                    String name = f.getFileName().toString();
                    out.computeIfAbsent(
                            name.substring(0, name.length() - 5), k -> new ArrayList<>())
                        .add(f);
                  });
        } catch (UncheckedIOException e) {
          throw e.getCause();
        }
      }
    }
    return out;
  }

  /**
   * Whether {@code source} declares {@code void method(} annotated as a JUnit or jqwik test.
   *
   * <p>A small scanner, enough for test sources: it skips comments, string, text-block and
   * character literals, and collects the annotations met outside parentheses since the last {@code
   * ;}, <code>{</code> or <code>}</code>; those are the annotations of the next declaration.
   */
  static boolean declaresTestMethod(String source, String method) {
    Set<String> annotations = new TreeSet<>();
    int parens = 0;
    int i = 0;
    int n = source.length();
    while (i < n) {
      char c = source.charAt(i);
      if (source.startsWith("//", i)) {
        i = lineEnd(source, i);
      } else if (source.startsWith("/*", i)) {
        int end = source.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (source.startsWith("\"\"\"", i)) {
        int end = source.indexOf("\"\"\"", i + 3);
        i = end < 0 ? n : end + 3;
      } else if (c == '"' || c == '\'') {
        i = literalEnd(source, i, c);
      } else if (c == '(') {
        parens++;
        i++;
      } else if (c == ')') {
        parens = Math.max(0, parens - 1);
        i++;
      } else if (parens == 0 && (c == ';' || c == '{' || c == '}')) {
        annotations.clear();
        i++;
      } else if (parens == 0
          && c == '@'
          && i + 1 < n
          && Character.isJavaIdentifierStart(source.charAt(i + 1))) {
        int end = identifierEnd(source, i + 1);
        annotations.add(source.substring(i + 1, end));
        i = end;
      } else if (Character.isJavaIdentifierStart(c)) {
        int end = identifierEnd(source, i);
        if (parens == 0 && source.substring(i, end).equals("void")) {
          Matcher m = DECLARED_NAME.matcher(source).region(end, n);
          if (m.lookingAt() && m.group(1).equals(method)) {
            for (String a : annotations) {
              if (TEST_ANNOTATIONS.contains(a)) {
                return true;
              }
            }
          }
        }
        i = end;
      } else {
        i++;
      }
    }
    return false;
  }

  private static int lineEnd(String s, int from) {
    int end = s.indexOf('\n', from);
    return end < 0 ? s.length() : end + 1;
  }

  private static int literalEnd(String s, int from, char quote) {
    int i = from + 1;
    while (i < s.length() && s.charAt(i) != quote && s.charAt(i) != '\n') {
      i += s.charAt(i) == '\\' ? 2 : 1;
    }
    return Math.min(s.length(), i + 1);
  }

  private static int identifierEnd(String s, int from) {
    int i = from;
    while (i < s.length() && Character.isJavaIdentifierPart(s.charAt(i))) {
      i++;
    }
    return i;
  }
}
