package io.starling.it;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * {@code starling} run as a real process: {@code java -cp <the test class path>
 * io.starling.cli.Main ARGS}, with its stdout lines and stderr collected as they come.
 */
final class CliProcess {
  final Process process;
  final List<String> out = new CopyOnWriteArrayList<>();
  final List<String> err = new CopyOnWriteArrayList<>();

  /** Every process started, so that a failed test can stop what it left running. */
  private static final List<Process> STARTED = new CopyOnWriteArrayList<>();

  private CliProcess(Process process) {
    this.process = process;
    STARTED.add(process);
    follow(process.getInputStream(), out);
    follow(process.getErrorStream(), err);
  }

  static CliProcess start(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xshare:auto");
    cmd.add("-XX:TieredStopAtLevel=1"); // short-lived: start fast
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.starling.cli.Main");
    cmd.addAll(List.of(args));
    try {
      return new CliProcess(new ProcessBuilder(cmd).start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Kills every process a test started that is still running. */
  static void destroyAll() {
    for (Process p : STARTED) {
      p.destroyForcibly();
    }
    STARTED.clear();
  }

  /** Runs to the end (at most 30 s) and returns the exit code. */
  static CliProcess run(String... args) {
    CliProcess p = start(args);
    p.exitCode();
    return p;
  }

  /** Writes {@code text} to stdin and closes it. */
  CliProcess stdin(String text) {
    try (OutputStream in = process.getOutputStream()) {
      in.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** Waits (at most 30 s) for the process to end; returns its exit code. */
  int exitCode() {
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("still running after 30 s; output " + out + ", errors " + err);
      }
      // the reader threads may lag the exit by a moment
      await().atMost(Duration.ofSeconds(5)).until(() -> drained);
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  String errText() {
    return String.join("\n", err);
  }

  void awaitLine(String line) {
    await().atMost(Duration.ofSeconds(20)).until(() -> out.contains(line) || !process.isAlive());
    if (!out.contains(line)) {
      throw new AssertionError("no line '" + line + "' in " + out + "; errors: " + err);
    }
  }

  private volatile boolean drained;
  private int openStreams = 2;

  private void follow(InputStream in, List<String> into) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  into.add(line);
                }
              } catch (IOException e) {
                // the process is gone
              } finally {
                synchronized (this) {
                  if (--openStreams == 0) {
                    drained = true;
                  }
                }
              }
            },
            "cli-output");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public String toString() {
    return "out=" + out + " err=" + err;
  }
}
