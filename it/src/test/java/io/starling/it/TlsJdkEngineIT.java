package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.starling.cli.CertificateGenerator;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code starling broker --config} as its own process with the OpenSSL engine switched off, so that
 * TLS runs on the JDK's engine (what happens where netty-tcnative cannot load), with mutual TLS,
 * talked to with {@code mosquitto_pub}/{@code mosquitto_sub}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsJdkEngineIT {
  private static final Pattern TLS_LISTENER =
      Pattern.compile("listener 'mtls' \\(tls\\) on 127\\.0\\.0\\.1:(\\d+), TLS engine ([^,]+),");

  @TempDir static Path dir;
  private static CertificateGenerator.Files certs;
  private static Process broker;
  private static final List<String> log = new CopyOnWriteArrayList<>();
  private static Matcher listening;

  @BeforeAll
  static void startBroker() throws Exception {
    certs = TlsSupport.certificates(dir.resolve("certs"), "device-7");
    Path config =
        Files.writeString(
            dir.resolve("jdk.yaml"),
            String.join(
                "\n",
                "listeners:",
                "  - kind: tcp",
                "    bind: 127.0.0.1",
                "    port: 0",
                "  - kind: tls",
                "    name: mtls",
                "    bind: 127.0.0.1",
                "    port: 0",
                "    tls:",
                "      cert_file: " + certs.serverCert(),
                "      key_file: " + certs.serverKey(),
                "      client_auth: require",
                "      ca_file: " + certs.ca(),
                "      certificate_username: cn",
                ""));
    Path home = ItHome.starlingHome();
    List<String> cmd = new ArrayList<>();
    Path jar = home.resolve("cli/target/starling.jar");
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    // Netty's switch that makes OpenSsl.isAvailable() false: the JDK engine is used.
    cmd.add("-Dio.netty.handler.ssl.noOpenSsl=true");
    cmd.add("-jar");
    cmd.add(jar.toString());
    cmd.addAll(List.of("broker", "--config", config.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("STARLING_LOG_LEVEL");
    broker = pb.start();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(broker.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  log.add(line);
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            "jdk-broker-output");
    reader.setDaemon(true);
    reader.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> find() != null || !broker.isAlive());
    listening = find();
    assertThat(listening).as("broker output:%n%s", String.join("\n", log)).isNotNull();
  }

  private static Matcher find() {
    for (String line : log) {
      Matcher m = TLS_LISTENER.matcher(line);
      if (m.find()) {
        return m;
      }
    }
    return null;
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.destroyForcibly();
    }
  }

  @Test
  void theJdkEngineServesMutualTlsToMosquittoClients() throws Exception {
    assertThat(listening.group(2)).isEqualTo("JDK");
    String port = listening.group(1);
    List<String> tls =
        List.of(
            "-h",
            "localhost",
            "-p",
            port,
            "--cafile",
            certs.ca().toString(),
            "--cert",
            certs.clientCert().toString(),
            "--key",
            certs.clientKey().toString());
    assertThat(run(tool("mosquitto_pub", tls, "-t", "jdk/x", "-m", "via jdk", "-q", "1", "-r")))
        .isEqualTo("");
    assertThat(run(tool("mosquitto_sub", tls, "-t", "jdk/x", "-C", "1", "-W", "10")).strip())
        .isEqualTo("via jdk");
  }

  private static List<String> tool(String name, List<String> common, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(name);
    cmd.addAll(common);
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Runs a command to its end (bounded) and returns its output; fails on a non-zero exit. */
  private static String run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("%s exits in time", cmd).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("%s: %s", cmd, out).isZero();
    return out;
  }
}
