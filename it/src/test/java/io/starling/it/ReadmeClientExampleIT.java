package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.Broker;
import io.starling.testkit.TestBroker;
import java.io.File;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client example of README.md ("Client library") compiles against the client as built, and
 * prints the message it sent to itself when run against a broker.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadmeClientExampleIT {
  private static final Pattern EXAMPLE =
      Pattern.compile("## Client library.*?```java\\n(.*?)```", Pattern.DOTALL);

  @Test
  void theReadmeExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
    Path readme = Path.of(System.getProperty("starling.home", ".."), "README.md");
    Matcher m = EXAMPLE.matcher(Files.readString(readme, StandardCharsets.UTF_8));
    assertThat(m.find()).as("a java block under '## Client library' in %s", readme).isTrue();
    String source = m.group(1);
    assertThat(source).contains("public class Hello").contains(".port(1883)");
    try (Broker broker = TestBroker.start()) {
      // The example talks to localhost:1883; the test broker listens on 127.0.0.1 and a free port.
      String runnable =
          source
              .replace("\"localhost\"", "\"127.0.0.1\"")
              .replace(".port(1883)", ".port(" + broker.port() + ")");
      Path file = dir.resolve("Hello.java");
      Files.writeString(file, runnable, StandardCharsets.UTF_8);
      JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
      StringWriter diagnostics = new StringWriter();
      boolean compiled =
          javac
              .getTask(
                  diagnostics,
                  null,
                  null,
                  List.of(
                      "-classpath", System.getProperty("java.class.path"),
                      "-d", dir.toString(),
                      "-Xlint:all", "-Werror"),
                  null,
                  javac
                      .getStandardFileManager(null, null, StandardCharsets.UTF_8)
                      .getJavaFileObjects(file.toFile()))
              .call();
      assertThat(compiled).as("javac says:%n%s", diagnostics).isTrue();
      Process p =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  dir + File.pathSeparator + System.getProperty("java.class.path"),
                  "Hello")
              .redirectErrorStream(true)
              .start();
      String out;
      try {
        out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      } finally {
        p.destroyForcibly(); // a no-op once it has exited
      }
      assertThat(p.exitValue()).as(out).isZero();
      assertThat(out).contains("hello/world hi");
    }
  }
}
