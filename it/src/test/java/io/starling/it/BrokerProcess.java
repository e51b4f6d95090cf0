package io.starling.it;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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

/**
 * {@code starling broker} as a separate process, for tests that kill it: the shaded jar the cli
 * module built (or {@code bin/starling}, which builds it), its output collected line by line.
 */
final class BrokerProcess implements AutoCloseable {
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  private BrokerProcess(Process process) {
    this.process = process;
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  lines.add(line);
                }
              } catch (IOException e) {
                lines.add("(output closed: " + e + ")");
              }
            },
            "broker-output");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Starts {@code starling broker --bind 127.0.0.1 <args>} and waits until it listens (or exits).
   */
  static BrokerProcess start(Duration bound, String... args) throws IOException {
    return start(bound, List.of(), args);
  }

  /** As {@link #start(Duration, String...)}, the JVM run with {@code jvmOptions} (-Xmx...) too. */
  static BrokerProcess start(Duration bound, List<String> jvmOptions, String... args)
      throws IOException {
    Path home = home();
    List<String> cmd = new ArrayList<>();
    Path jar = home.resolve("cli/target/starling.jar");
    boolean direct = Files.isRegularFile(jar);
    if (direct) {
      cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-XX:+ExitOnOutOfMemoryError");
      cmd.addAll(jvmOptions);
      cmd.add("-jar");
      cmd.add(jar.toString());
    } else {
      cmd.add(home.resolve("bin/starling").toString());
    }
    cmd.add("broker");
    cmd.add("--bind");
    cmd.add("127.0.0.1");
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true);
    pb.environment().remove("STARLING_LOG_LEVEL");
    if (!direct && !jvmOptions.isEmpty()) {
      pb.environment()
          .put("STARLING_JAVA_OPTS", "-XX:+ExitOnOutOfMemoryError " + String.join(" ", jvmOptions));
    }
    BrokerProcess b = new BrokerProcess(pb.start());
    await()
        .atMost(bound)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> b.contains("Starling listening on") || !b.process.isAlive());
    return b;
  }

  /** The broker's process id (for its figures in {@code /proc}). */
  long pid() {
    return process.pid();
  }

  /** A figure of the broker process from {@code /proc/PID/status} ({@code VmRSS}...), in bytes. */
  long status(String field) throws IOException {
    String text = Files.readString(Path.of("/proc", Long.toString(pid()), "status"));
    Matcher m = Pattern.compile("(?m)^" + field + ":\\s+(\\d+) kB").matcher(text);
    if (!m.find()) {
      throw new AssertionError(field + " is not in /proc/" + pid() + "/status");
    }
    return Long.parseLong(m.group(1)) << 10;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  boolean contains(String s) {
    return lines.stream().anyMatch(l -> l.contains(s));
  }

  /** Waits for the process to exit and returns its exit code, or -1 if it did not in time. */
  int waitForExit(Duration bound) throws InterruptedException {
    return process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  /** {@code kill -9}: no shutdown hook runs, nothing is flushed. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    kill();
  }

  @Override
  public String toString() {
    return String.join("\n", lines);
  }

  private static Path home() {
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
}
