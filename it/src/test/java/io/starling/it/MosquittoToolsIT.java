package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code starling broker} command as a separate process, talked to with Mosquitto's {@code
 * mosquitto_pub} and {@code mosquitto_sub}, and stopped with SIGTERM. The shutdown test runs last.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@TestMethodOrder(OrderAnnotation.class)
class MosquittoToolsIT {
  private static final Pattern LISTENING =
      Pattern.compile("Starling listening on 127\\.0\\.0\\.1:(\\d+)");

  /** Bound for the broker to start: the first run of {@code bin/starling} may build the jar. */
  private static final Duration START_BOUND = Duration.ofSeconds(60);

  private static final Duration TOOL_BOUND = Duration.ofSeconds(15);

  private static Output brokerLog;
  private static Process broker;
  private static int port;

  @BeforeAll
  static void startBroker() throws IOException {
    Path home = starlingHome();
    ProcessBuilder pb = new ProcessBuilder(brokerCommand(home)).directory(home.toFile());
    pb.environment().remove("STARLING_LOG_LEVEL"); // the INFO lines are what we wait for
    pb.redirectErrorStream(true); // the log goes to stderr; stdout must not fill up either
    broker = pb.start();
    brokerLog = Output.follow(broker, "broker");
    await()
        .atMost(START_BOUND)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> brokerLog.find(LISTENING) != null || !broker.isAlive());
    Matcher m = brokerLog.find(LISTENING);
    assertThat(m).as("broker output:%n%s", brokerLog).isNotNull();
    port = Integer.parseInt(m.group(1));
  }

  @AfterAll
  static void killBroker() {
    if (broker != null) {
      broker.destroyForcibly();
    }
  }

  @Test
  @Order(1)
  void mosquittoSubGetsWhatMosquittoPubSends() throws Exception {
    // -d prints "received SUBACK", so we know when to publish without sleeping; stdbuf makes
    // mosquitto_sub's stdout line-buffered (to a pipe it is block-buffered, so the line would only
    // show up at exit); -W bounds its wait.
    Process sub =
        start(
            "stdbuf",
            "-oL",
            "mosquitto_sub",
            "-h",
            "127.0.0.1",
            "-p",
            port(),
            "-t",
            "test/#",
            "-C",
            "1",
            "-v",
            "-q",
            "1",
            "-W",
            "10",
            "-d");
    Output subOut = Output.follow(sub, "mosquitto_sub");
    try {
      await().atMost(TOOL_BOUND).until(() -> subOut.contains("received SUBACK"));
      Process pub =
          start(
              "mosquitto_pub",
              "-h",
              "127.0.0.1",
              "-p",
              port(),
              "-t",
              "test/x",
              "-m",
              "hello",
              "-q",
              "1");
      Output pubOut = Output.follow(pub, "mosquitto_pub");
      assertExitsWith0(pub, pubOut);
      assertExitsWith0(sub, subOut);
      assertThat(subOut.lines()).as("%s", subOut).contains("test/x hello");
    } finally {
      sub.destroyForcibly();
    }
  }

  @Test
  @Order(2)
  void retainedMessageReachesALaterMosquittoSub() throws Exception {
    Process pub =
        start(
            "mosquitto_pub",
            "-h",
            "127.0.0.1",
            "-p",
            port(),
            "-t",
            "home/door",
            "-m",
            "closed",
            "-q",
            "1",
            "-r");
    Output pubOut = Output.follow(pub, "mosquitto_pub");
    assertExitsWith0(pub, pubOut);

    Process sub =
        start(
            "mosquitto_sub",
            "-h",
            "127.0.0.1",
            "-p",
            port(),
            "-t",
            "home/#",
            "-C",
            "1",
            "-v",
            "-q",
            "1",
            "-W",
            "10");
    Output subOut = Output.follow(sub, "mosquitto_sub");
    assertExitsWith0(sub, subOut);
    assertThat(subOut.lines()).as("%s", subOut).containsExactly("home/door closed");
  }

  @Test
  @Order(Integer.MAX_VALUE)
  void sigtermStopsTheBrokerCleanly() throws InterruptedException {
    // SIGTERM, as Process.destroy() sends, but through the handle: Process.destroy() also closes
    // our end of the pipe, and the log lines of the shutdown would be lost.
    assertThat(broker.toHandle().destroy()).isTrue();
    assertThat(broker.waitFor(10, TimeUnit.SECONDS)).as("exits within 10 s of SIGTERM").isTrue();
    // The reader thread may still be draining the pipe when the process is gone.
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(brokerLog.toString()).contains("Starling stopped"));
  }

  // ---- helpers ------------------------------------------------------------------------------

  /**
   * The command that starts the broker. Inside a Maven build the {@code cli} module has just been
   * packaged, so the jar is run directly with {@code java -jar}: {@code bin/starling} would compare
   * timestamps with the sources and might start a nested Maven build while this one runs (another
   * engineer's edits make the sources newer than the jar). {@code bin/starling} is the fallback
   * when the jar does not exist yet; it builds it first.
   */
  private static List<String> brokerCommand(Path home) {
    List<String> args = List.of("broker", "--port", "0", "--bind", "127.0.0.1");
    List<String> cmd = new ArrayList<>();
    Path jar = home.resolve("cli/target/starling.jar");
    if (Files.isRegularFile(jar)) {
      cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-XX:+ExitOnOutOfMemoryError");
      cmd.add("-jar");
      cmd.add(jar.toString());
    } else {
      cmd.add(home.resolve("bin/starling").toString());
    }
    cmd.addAll(args);
    return cmd;
  }

  /**
   * The repository root: the {@code starling.home} property that Failsafe sets, or else the first
   * directory up from the working directory that holds {@code bin/starling}.
   */
  private static Path starlingHome() {
    String prop = System.getProperty("starling.home");
    if (prop != null && !prop.isBlank() && Files.isRegularFile(Path.of(prop, "bin/starling"))) {
      return Path.of(prop).toAbsolutePath();
    }
    for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        p != null;
        p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("bin/starling"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the Starling home (bin/starling)");
  }

  private static String port() {
    return Integer.toString(port);
  }

  private static Process start(String... command) throws IOException {
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  private static void assertExitsWith0(Process p, Output out) throws InterruptedException {
    boolean exited = p.waitFor(TOOL_BOUND.toSeconds(), TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly();
    }
    assertThat(exited).as("%s exits in time; output:%n%s", out.name, out).isTrue();
    assertThat(p.exitValue()).as("%s exit code; output:%n%s", out.name, out).isZero();
    // The process is gone, but the reader thread may still be draining the pipe.
    await().atMost(Duration.ofSeconds(5)).until(out::isComplete);
  }

  /** The lines a process writes, collected by a daemon thread as they come. */
  private static final class Output {
    private final String name;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private volatile boolean complete;

    private Output(String name) {
      this.name = name;
    }

    static Output follow(Process p, String name) {
      Output out = new Output(name);
      Thread t =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line; (line = r.readLine()) != null; ) {
                    out.lines.add(line);
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                } finally {
                  out.complete = true;
                }
              },
              name + "-output");
      t.setDaemon(true);
      t.start();
      return out;
    }

    /** Whether the end of the output has been read. */
    boolean isComplete() {
      return complete;
    }

    List<String> lines() {
      return lines;
    }

    boolean contains(String s) {
      return lines.stream().anyMatch(l -> l.contains(s));
    }

    Matcher find(Pattern pattern) {
      for (String line : lines) {
        Matcher m = pattern.matcher(line);
        if (m.find()) {
          return m;
        }
      }
      return null;
    }

    @Override
    public String toString() {
      return String.join("\n", lines);
    }
  }
}
