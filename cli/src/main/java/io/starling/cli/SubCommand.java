package io.starling.cli;

import io.starling.client.Message;
import io.starling.client.MqttClient;
import io.starling.codec.QoS;
import io.starling.codec.packet.Subscription;
import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code starling sub}: prints the messages of one or more topic filters. */
@Command(
    name = "sub",
    sortOptions = false,
    description = {
      "Subscribe to an MQTT broker and print messages, one per line (flags as mosquitto_sub's).",
      "Reconnects by itself if the connection drops. Ctrl-C disconnects cleanly.",
      "Exit codes: 0 done (-C reached or interrupted), 1 connection or broker error, 2 bad flags,"
          + " 27 -W timed out."
    })
final class SubCommand implements Callable<Integer> {
  /** mosquitto_sub's exit code when -W runs out. */
  static final int TIMED_OUT = 27;

  @Mixin ClientOptions connection;

  @Option(
      names = {"-t", "--topic"},
      paramLabel = "FILTER",
      required = true,
      description = "Topic filter to subscribe to; repeat for more.")
  List<String> filters;

  @Option(
      names = {"-q", "--qos"},
      paramLabel = "QOS",
      description = "Maximum QoS 0, 1 or 2 (default: ${DEFAULT-VALUE}).",
      defaultValue = "0")
  int qos;

  @Option(
      names = {"-C", "--count"},
      paramLabel = "N",
      description = "Exit after N messages.")
  Integer count;

  @Option(
      names = {"-W", "--timeout"},
      paramLabel = "SECONDS",
      description = "Exit after this many seconds (exit code 27 if -C was not reached).")
  Integer timeoutSeconds;

  @Option(
      names = {"-R", "--no-stale"},
      description = "Do not print retained messages (those stored before we subscribed).")
  boolean noStale;

  @Option(
      names = {"-v", "--verbose"},
      description = "Print 'topic payload' (same as --format topic).")
  boolean verbose;

  @Option(
      names = {"-F", "--format"},
      paramLabel = "FORMAT",
      converter = OutputFormat.Converter.class,
      description = "payload (default), topic ('topic payload'), or json (one object a line).")
  OutputFormat format;

  @Option(
      names = "--help",
      usageHelp = true,
      description = "Show this help and exit (-h is the host, as in mosquitto_sub).")
  boolean help;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    try {
      return run(spec.commandLine());
    } catch (CommandLine.ParameterException e) {
      return Errors.usage(spec.commandLine(), "sub", e.getMessage());
    }
  }

  private int run(CommandLine cmd) throws Exception {
    ClientOptions.checkQos(cmd, "-q", qos);
    if (count != null && count < 1 || timeoutSeconds != null && timeoutSeconds < 1) {
      throw new CommandLine.ParameterException(cmd, "-C and -W must be 1 or more");
    }
    OutputFormat fmt =
        format != null ? format : verbose ? OutputFormat.TOPIC : OutputFormat.PAYLOAD;
    // One thread writes: the output is batched and flushed when no message is waiting.
    LinkedBlockingQueue<Runnable> work = new LinkedBlockingQueue<>();
    ThreadPoolExecutor printer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, work);
    BufferedWriter out =
        new BufferedWriter(
            new OutputStreamWriter(
                new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8),
            1 << 16);
    CountDownLatch done = new CountDownLatch(1);
    AtomicInteger seen = new AtomicInteger();
    MqttClient client = connection.builder(cmd, "starling-sub").callbackExecutor(printer).build();
    Thread hook =
        new Thread(
            () -> {
              client.close();
              flushQuietly(out);
            },
            "starling-sub-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      client.connect().join();
      List<Subscription> subs = new ArrayList<>();
      for (String f : filters) {
        subs.add(Subscription.of(f, QoS.of(qos)));
      }
      client
          .subscribe(
              subs,
              m -> {
                if (noStale && m.retain()) {
                  return;
                }
                int n = seen.incrementAndGet();
                if (count != null && n > count) {
                  return;
                }
                write(out, fmt, m);
                if (work.isEmpty() || count != null && n == count) {
                  flushQuietly(out);
                }
                if (count != null && n == count) {
                  done.countDown();
                }
              })
          .join();
      boolean finished =
          timeoutSeconds == null
              ? awaitForever(done)
              : done.await(timeoutSeconds, TimeUnit.SECONDS);
      client.disconnect().get(5, TimeUnit.SECONDS);
      printer.shutdown();
      printer.awaitTermination(5, TimeUnit.SECONDS);
      flushQuietly(out);
      if (!finished) {
        cmd.getErr().println("Timed out");
        return TIMED_OUT;
      }
      return 0;
    } catch (CompletionException e) {
      return Errors.report(cmd, "sub", e.getCause());
    } finally {
      client.close();
      printer.shutdownNow();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
  }

  private static boolean awaitForever(CountDownLatch done) throws InterruptedException {
    done.await();
    return true;
  }

  private static void write(BufferedWriter out, OutputFormat fmt, Message m) {
    try {
      out.write(fmt.format(m));
      out.newLine();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void flushQuietly(BufferedWriter out) {
    try {
      out.flush();
    } catch (IOException e) {
      // stdout closed (e.g. piped into head): nothing left to tell
    }
  }
}
