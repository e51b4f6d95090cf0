package io.starling.cli;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.BrokerStartException;
import io.starling.broker.config.ConfigException;
import io.starling.broker.config.ConfigLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code starling broker}: runs the broker until SIGTERM or Ctrl-C. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = "Run the MQTT broker (default: all interfaces, port 1883).")
final class BrokerCommand implements Callable<Integer> {
  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description = "YAML config file (see config/starling.yaml). Flags below override it.")
  Path config;

  @Option(
      names = {"-p", "--port"},
      paramLabel = "N",
      description = "Port of the first tcp listener, 0 for any free port (default: 1883).")
  Integer port;

  @Option(
      names = {"-b", "--bind"},
      paramLabel = "ADDR",
      description = "Address of the first tcp listener (default: 0.0.0.0).")
  String bind;

  @Option(
      names = {"--data-dir"},
      paramLabel = "DIR",
      description =
          "Keep sessions, queued messages and retained messages in DIR (RocksDB) and restore them"
              + " at start-up: turns persistence on (see README \"Durability\").")
  Path dataDir;

  @Option(
      names = {"--force-start"},
      description =
          "Start even if the stored data cannot be read: unreadable records are skipped, an"
              + " unreadable store is moved aside. Both are logged.")
  boolean forceStart;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    BrokerConfig cfg;
    try {
      cfg = config == null ? BrokerConfig.defaults() : ConfigLoader.load(config);
    } catch (ConfigException e) {
      spec.commandLine().getErr().println("starling: " + e.getMessage());
      return 2;
    }
    if (port != null && (port < 0 || port > 65535)) {
      spec.commandLine().getErr().println("starling: --port must be 0 to 65535, not " + port);
      return 2;
    }
    if (bind != null || port != null) {
      // The flags apply to the first tcp listener (one is added if the file has none).
      BrokerConfig.Listener tcp =
          cfg.listeners().stream()
              .filter(l -> l.kind() == BrokerConfig.Listener.Kind.TCP)
              .findFirst()
              .orElse(BrokerConfig.Listener.DEFAULT);
      cfg = cfg.withListener(bind != null ? bind : tcp.bind(), port != null ? port : tcp.port());
    }
    if (dataDir != null) {
      cfg = cfg.withPersistence(cfg.persistence().withDataDir(dataDir));
    }
    if (forceStart) {
      cfg = cfg.withPersistence(cfg.persistence().withForceStart(true));
    }
    Broker broker;
    try {
      broker = Broker.start(cfg);
    } catch (BrokerStartException e) {
      spec.commandLine().getErr().println("starling: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  broker.close();
                  stopped.countDown();
                },
                "starling-shutdown"));
    stopped.await();
    return 0;
  }
}
