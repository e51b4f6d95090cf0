package io.starling.it;

import static io.starling.it.ItSupport.options;
import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.BrokerConfig.Listener;
import io.starling.broker.config.BrokerConfig.Listener.Kind;
import io.starling.broker.config.TlsConfig;
import io.starling.broker.config.TlsConfig.CertificateUsername;
import io.starling.broker.config.TlsConfig.ClientAuth;
import io.starling.cli.CertificateGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mosquitto's command-line clients against the TLS listeners ({@code --cafile}, and {@code
 * --cert/--key} for mutual TLS), and certificate files replaced while the broker runs.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TlsReloadAndToolsIT {
  private static final Duration TOOL_BOUND = Duration.ofSeconds(20);

  @TempDir static Path dir;
  private static CertificateGenerator.Files certs;
  private static CertificateGenerator.Files next;
  private static Path liveCert;
  private static Path liveKey;
  private static Broker broker;

  @BeforeAll
  static void startBroker() throws Exception {
    certs = TlsSupport.certificates(dir.resolve("first"), "device-7");
    next = TlsSupport.certificates(dir.resolve("next"), "device-8");
    // The reloading listener reads copies, so the test can replace them.
    liveCert = Files.copy(certs.serverCert(), dir.resolve("live.pem"));
    liveKey = Files.copy(certs.serverKey(), dir.resolve("live-key.pem"));
    TlsConfig reloading =
        new TlsConfig(
            liveCert,
            liveKey,
            TlsConfig.DEFAULT_PROTOCOLS,
            List.of(),
            ClientAuth.NONE,
            null,
            CertificateUsername.NONE,
            1);
    TlsConfig mutual =
        TlsConfig.server(certs.serverCert(), certs.serverKey())
            .withClientAuth(ClientAuth.REQUIRE, certs.ca(), CertificateUsername.CN);
    broker =
        Broker.start(
            BrokerConfig.defaults()
                .withSys(new BrokerConfig.Sys(0))
                .withListeners(
                    List.of(
                        Listener.of(
                            "tls",
                            Kind.TLS,
                            "127.0.0.1",
                            0,
                            TlsConfig.server(certs.serverCert(), certs.serverKey())),
                        Listener.of("mtls", Kind.TLS, "127.0.0.1", 0, mutual),
                        Listener.of("reloading", Kind.TLS, "127.0.0.1", 0, reloading))));
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void mosquittoPubAndSubWithCafile() throws Exception {
    String port = Integer.toString(broker.port("tls"));
    Run pub =
        run(
            "mosquitto_pub",
            "-h",
            "localhost",
            "-p",
            port,
            "--cafile",
            certs.ca().toString(),
            "-t",
            "tools/tls",
            "-m",
            "over tls",
            "-q",
            "1",
            "-r");
    assertThat(pub.code).as(pub.output).isZero();
    // The retained message reaches a later subscriber: no need to wait for its SUBACK.
    Run sub =
        run(
            "mosquitto_sub",
            "-h",
            "localhost",
            "-p",
            port,
            "--cafile",
            certs.ca().toString(),
            "-t",
            "tools/tls",
            "-C",
            "1",
            "-W",
            "10");
    assertThat(sub.code).as(sub.output).isZero();
    assertThat(sub.output.strip()).isEqualTo("over tls");
  }

  @Test
  void mosquittoPubNeedsItsClientCertificateForMutualTls() throws Exception {
    String port = Integer.toString(broker.port("mtls"));
    Run with =
        run(
            "mosquitto_pub",
            "-h",
            "localhost",
            "-p",
            port,
            "--cafile",
            certs.ca().toString(),
            "--cert",
            certs.clientCert().toString(),
            "--key",
            certs.clientKey().toString(),
            "-t",
            "tools/mtls",
            "-m",
            "signed",
            "-q",
            "1");
    assertThat(with.code).as(with.output).isZero();
    Run without =
        run(
            "mosquitto_pub",
            "-h",
            "localhost",
            "-p",
            port,
            "--cafile",
            certs.ca().toString(),
            "-t",
            "tools/mtls",
            "-m",
            "unsigned",
            "-q",
            "1");
    assertThat(without.code).as(without.output).isNotZero();
  }

  @Test
  void replacedCertificateFilesServeNewConnections() throws Exception {
    MqttClient old = paho("reloading", TlsSupport.clientContext(certs.ca(), null, null));
    assertThat(old.isConnected()).isTrue();
    // Key first, then certificate: in between the two do not match, and the broker waits.
    Files.copy(next.serverKey(), liveKey, StandardCopyOption.REPLACE_EXISTING);
    Files.copy(next.serverCert(), liveCert, StandardCopyOption.REPLACE_EXISTING);
    SSLContext trustsNext = TlsSupport.clientContext(next.ca(), null, null);
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> connects("reloading", trustsNext));
    // The connection made with the old certificate is still there.
    assertThat(old.isConnected()).isTrue();
    old.disconnect();
    old.close();
  }

  private static boolean connects(String listener, SSLContext ctx) {
    try {
      MqttClient c = paho(listener, ctx);
      c.disconnect();
      c.close();
      return true;
    } catch (MqttException e) {
      return false;
    }
  }

  private static MqttClient paho(String listener, SSLContext ctx) throws MqttException {
    MqttClient c =
        new MqttClient(
            "ssl://localhost:" + broker.port(listener),
            uniqueId("reload"),
            new MemoryPersistence());
    MqttConnectOptions o = options(true);
    o.setSocketFactory(ctx.getSocketFactory());
    try {
      c.connect(o);
    } catch (MqttException e) {
      c.close();
      throw e;
    }
    return c;
  }

  private record Run(int code, String output) {}

  private static Run run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    boolean exited = p.waitFor(TOOL_BOUND.toSeconds(), TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly();
      return new Run(-1, String.join(" ", command) + ": did not exit in time");
    }
    List<String> out = new ArrayList<>();
    out.add(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    return new Run(p.exitValue(), String.join("", out));
  }
}
