package io.starling.cli;

import io.starling.client.Message;
import io.starling.client.MqttClient;
import io.starling.client.MqttClientException;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code starling pub}: publishes one message, a file, stdin, or one message per line. */
@Command(
    name = "pub",
    sortOptions = false,
    description = {
      "Publish to an MQTT broker (flags as mosquitto_pub's).",
      "Exit codes: 0 published (and acknowledged at QoS 1/2), 1 connection or broker error,"
          + " 2 bad flags."
    })
final class PubCommand implements Callable<Integer> {
  @Mixin ClientOptions connection;

  @Option(
      names = {"-t", "--topic"},
      paramLabel = "TOPIC",
      required = true,
      description = "Topic to publish to.")
  String topic;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Source source = new Source();

  static final class Source {
    @Option(
        names = {"-m", "--message"},
        paramLabel = "TEXT",
        description = "The message (UTF-8).")
    String message;

    @Option(
        names = {"-f", "--file"},
        paramLabel = "FILE",
        description = "Send the whole file as one message.")
    Path file;

    @Option(
        names = {"-l", "--stdin-line"},
        description = "Send each line of stdin as a message (empty lines are skipped).")
    boolean lines;

    @Option(
        names = {"-s", "--stdin-file"},
        description = "Send all of stdin as one message.")
    boolean stdin;

    @Option(
        names = {"-n", "--null-message"},
        description = "Send an empty message (clears a retained message with -r).")
    boolean empty;
  }

  @Option(
      names = {"-q", "--qos"},
      paramLabel = "QOS",
      description = "QoS 0, 1 or 2 (default: ${DEFAULT-VALUE}).",
      defaultValue = "0")
  int qos;

  @Option(
      names = {"-r", "--retain"},
      description = "Retain the message.")
  boolean retain;

  @Option(
      names = {"-D", "--user-property"},
      paramLabel = "NAME=VALUE",
      description = "MQTT 5.0 user property; repeat for more.")
  List<String> userProperties = new ArrayList<>();

  @Option(
      names = {"-e", "--message-expiry"},
      paramLabel = "SECONDS",
      description = "MQTT 5.0 message expiry interval.")
  Long messageExpirySeconds;

  @Option(
      names = "--response-topic",
      paramLabel = "TOPIC",
      description = "MQTT 5.0 response topic.")
  String responseTopic;

  @Option(
      names = "--correlation-data",
      paramLabel = "TEXT",
      description = "MQTT 5.0 correlation data (UTF-8).")
  String correlationData;

  @Option(names = "--content-type", paramLabel = "TYPE", description = "MQTT 5.0 content type.")
  String contentType;

  @Option(
      names = "--repeat",
      paramLabel = "N",
      description = "Publish the message N times (default: ${DEFAULT-VALUE}).",
      defaultValue = "1")
  int repeat;

  @Option(
      names = "--repeat-delay",
      paramLabel = "SECONDS",
      description = "Seconds to wait between repeats, fractions allowed (default: 0).",
      defaultValue = "0")
  double repeatDelaySeconds;

  @Option(
      names = "--help",
      usageHelp = true,
      description = "Show this help and exit (-h is the host, as in mosquitto_pub).")
  boolean help;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    try {
      return run(spec.commandLine());
    } catch (CommandLine.ParameterException e) {
      return Errors.usage(spec.commandLine(), "pub", e.getMessage());
    }
  }

  private int run(CommandLine cmd) throws Exception {
    ClientOptions.checkQos(cmd, "-q", qos);
    if (repeat < 1 || repeatDelaySeconds < 0) {
      throw new CommandLine.ParameterException(
          cmd, "--repeat must be 1 or more, --repeat-delay 0 or more");
    }
    MqttVersion version = connection.version(cmd);
    boolean has5 =
        !userProperties.isEmpty()
            || messageExpirySeconds != null
            || responseTopic != null
            || correlationData != null
            || contentType != null;
    if (has5 && !version.isV5()) {
      throw new CommandLine.ParameterException(
          cmd, "user properties, expiry, response topic and content type need -V mqttv5");
    }
    Message.Builder template = template(cmd);
    MqttClient client = connection.builder(cmd, "starling-pub").noAutomaticReconnect().build();
    Thread hook = new Thread(client::close, "starling-pub-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      client.connect().join();
      if (source.lines) {
        publishLines(client, template);
      } else {
        Message m = template.payload(payload()).build();
        for (int i = 0; i < repeat; i++) {
          if (i > 0 && repeatDelaySeconds > 0) {
            Thread.sleep((long) (repeatDelaySeconds * 1000));
          }
          client.publish(m).join();
        }
      }
      client.disconnect().get(10, TimeUnit.SECONDS);
      return 0;
    } catch (CompletionException e) {
      return Errors.report(cmd, "pub", e.getCause());
    } catch (MqttClientException | IOException e) {
      return Errors.report(cmd, "pub", e);
    } finally {
      client.close();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
  }

  private Message.Builder template(CommandLine cmd) {
    Message.Builder b = Message.builder(topic).qos(qos).retain(retain);
    for (String[] p : ClientOptions.userProperties(cmd, userProperties)) {
      b.userProperty(p[0], p[1]);
    }
    if (messageExpirySeconds != null) {
      b.messageExpirySeconds(messageExpirySeconds);
    }
    if (correlationData != null) {
      b.correlationData(correlationData.getBytes(StandardCharsets.UTF_8));
    }
    return b.responseTopic(responseTopic).contentType(contentType);
  }

  private byte[] payload() throws IOException {
    if (source.file != null) {
      try {
        return Files.readAllBytes(source.file);
      } catch (NoSuchFileException e) {
        throw new IOException("no such file: " + source.file, e);
      }
    }
    if (source.stdin) {
      return System.in.readAllBytes();
    }
    if (source.message != null) {
      return source.message.getBytes(StandardCharsets.UTF_8);
    }
    return new byte[0];
  }

  /** One message per line; acknowledgements are awaited together, so lines stream at speed. */
  private void publishLines(MqttClient client, Message.Builder template) throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    List<CompletableFuture<ReasonCode>> pending = new ArrayList<>();
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) {
        continue;
      }
      pending.add(client.publish(template.payload(line).build()));
      if (pending.size() >= 1000) {
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
        pending.clear();
      }
    }
    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
  }
}
