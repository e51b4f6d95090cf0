package io.starling.cli;

import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.loadgen.LoadOptions;
import io.starling.loadgen.LoadOptions.Scenario;
import io.starling.loadgen.LoadTool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code starling bench}: load-tests an MQTT broker (any broker, not only Starling). */
@Command(
    name = "bench",
    description = {
      "Load-test an MQTT broker and print throughput, latency and loss.",
      "Scenarios: fanin (P publishers, 1 wildcard subscriber), fanout (1 publisher, S"
          + " subscribers), p2p (P publisher/subscriber pairs), latency (fixed rate, percentiles),"
          + " conns (N idle connections).",
      "Prints a summary and one machine-readable line starting with RESULT."
    })
final class BenchCommand implements Callable<Integer> {
  @Option(
      names = "--help",
      usageHelp = true,
      description = "Show this help and exit (-h is the host, -V the MQTT version).")
  boolean help;

  @Parameters(
      index = "0",
      paramLabel = "SCENARIO",
      description = "fanin, fanout, p2p, latency or conns")
  String scenario;

  @Option(
      names = {"-h", "--host"},
      paramLabel = "HOST",
      description = "Broker host (default: ${DEFAULT-VALUE}).",
      defaultValue = "127.0.0.1")
  String host;

  @Option(
      names = {"-p", "--port"},
      paramLabel = "PORT",
      description = "Broker port (default: ${DEFAULT-VALUE}).",
      defaultValue = "1883")
  int port;

  @Option(
      names = {"-q", "--qos"},
      paramLabel = "QOS",
      description = "QoS 0, 1 or 2 (default: ${DEFAULT-VALUE}).",
      defaultValue = "0")
  int qos;

  @Option(
      names = {"-s", "--payload"},
      paramLabel = "BYTES",
      description = "Payload size (default: ${DEFAULT-VALUE}).",
      defaultValue = "64")
  int payload;

  @Option(
      names = {"-V", "--mqtt-version"},
      paramLabel = "V",
      description = "3.1, 3.1.1 or 5 (default: ${DEFAULT-VALUE}).",
      defaultValue = "3.1.1")
  String mqttVersion;

  @Option(
      names = {"-d", "--duration"},
      paramLabel = "SECONDS",
      description =
          "Measured seconds (default: ${DEFAULT-VALUE}); for conns, how long to hold them.",
      defaultValue = "10")
  int durationSeconds;

  @Option(
      names = {"-w", "--warmup"},
      paramLabel = "SECONDS",
      description = "Seconds of traffic before measuring (default: ${DEFAULT-VALUE}).",
      defaultValue = "3")
  int warmupSeconds;

  @Option(
      names = {"-P", "--publishers"},
      paramLabel = "N",
      description = "Publishers for fanin and p2p (default: ${DEFAULT-VALUE}).",
      defaultValue = "10")
  int publishers;

  @Option(
      names = {"-S", "--subscribers"},
      paramLabel = "N",
      description = "Subscribers for fanout (default: ${DEFAULT-VALUE}).",
      defaultValue = "100")
  int subscribers;

  @Option(
      names = {"-i", "--inflight"},
      paramLabel = "N",
      description = "QoS 1/2 messages in flight per publisher (default: ${DEFAULT-VALUE}).",
      defaultValue = "32")
  int inflight;

  @Option(
      names = "--window",
      paramLabel = "N",
      description =
          "QoS 0: messages a publisher may have sent that have not yet arrived (a closed loop);"
              + " 0 = publish as fast as the socket takes them (default: ${DEFAULT-VALUE}).",
      defaultValue = "1000")
  int window;

  @Option(
      names = {"-r", "--rate"},
      paramLabel = "MSGS",
      description = "Messages per second of the latency scenario (default: ${DEFAULT-VALUE}).",
      defaultValue = "1000")
  int rate;

  @Option(
      names = {"-n", "--connections"},
      paramLabel = "N",
      description = "Idle connections for conns (default: ${DEFAULT-VALUE}).",
      defaultValue = "1000")
  int connections;

  @Option(
      names = "--connect-rate",
      paramLabel = "N",
      description = "Connections opened per second for conns (default: ${DEFAULT-VALUE}).",
      defaultValue = "2000")
  int connectRate;

  @Option(
      names = "--source",
      paramLabel = "ADDR",
      split = ",",
      description = "Local addresses to spread connections over, e.g. 127.0.0.2,127.0.0.3 (conns).")
  List<String> sources = new ArrayList<>();

  @Option(
      names = "--broker-pid",
      paramLabel = "PID",
      description = "The broker's process id, to report its CPU use and memory.",
      defaultValue = "0")
  long brokerPid;

  @Option(
      names = {"-t", "--threads"},
      paramLabel = "N",
      description = "Load-tool I/O threads (default: one per processor).",
      defaultValue = "0")
  int threads;

  @Option(
      names = "--persistent",
      description =
          "Connect with clean session 0, so that a broker with persistence stores the messages"
              + " (durable scenarios).")
  boolean persistent;

  @Option(
      names = "--keep-alive",
      paramLabel = "SECONDS",
      description =
          "Keep-alive of idle connections for conns; PINGREQ goes twice per period (default:"
              + " ${DEFAULT-VALUE}; 0 = none).",
      defaultValue = "" + LoadOptions.DEFAULT_KEEP_ALIVE_SECONDS)
  int keepAliveSeconds;

  @Option(
      names = "--subscribe",
      description = "conns: each idle connection subscribes to one topic filter of its own.")
  boolean subscribeEach;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    LoadOptions options;
    try {
      options = options();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("starling bench: " + e.getMessage());
      return 2;
    }
    try (LoadTool tool = new LoadTool(options, spec.commandLine().getOut())) {
      tool.run();
      return 0;
    } catch (java.net.ConnectException | java.util.concurrent.ExecutionException e) {
      spec.commandLine()
          .getErr()
          .println("starling bench: cannot reach " + host + ":" + port + ": " + e.getMessage());
      return 1;
    }
  }

  private LoadOptions options() {
    Scenario s;
    try {
      s = Scenario.valueOf(scenario.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown scenario '" + scenario + "' (fanin, fanout, p2p, latency, conns)");
    }
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("--qos must be 0, 1 or 2");
    }
    MqttVersion v =
        switch (mqttVersion) {
          case "3.1", "31" -> MqttVersion.V3_1;
          case "3.1.1", "311" -> MqttVersion.V3_1_1;
          case "5", "5.0" -> MqttVersion.V5;
          default -> throw new IllegalArgumentException("--mqtt-version must be 3.1, 3.1.1 or 5");
        };
    if (durationSeconds < 1 || warmupSeconds < 0) {
      throw new IllegalArgumentException("--duration must be at least 1 and --warmup at least 0");
    }
    int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    return new LoadOptions(
        host,
        port,
        s,
        QoS.of(qos),
        payload,
        v,
        Duration.ofSeconds(warmupSeconds),
        Duration.ofSeconds(durationSeconds),
        publishers,
        subscribers,
        inflight,
        window,
        rate,
        connections,
        connectRate,
        sources,
        brokerPid,
        t,
        persistent,
        keepAliveSeconds,
        subscribeEach);
  }
}
