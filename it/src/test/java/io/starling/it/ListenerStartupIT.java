package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.BrokerConfig.Listener;
import io.starling.broker.config.BrokerConfig.Listener.Kind;
import io.starling.broker.config.BrokerStartException;
import io.starling.broker.config.ConfigLoader;
import io.starling.broker.config.TlsConfig;
import io.starling.broker.config.TlsConfig.CertificateUsername;
import io.starling.broker.transport.CertificateUsernames;
import io.starling.cli.CertificateGenerator;
import io.starling.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees when a listener cannot start: one line naming the listener, the key and the
 * file, from {@link Broker#start} and from {@code starling broker} (exit code 1). Also {@code
 * starling cert}, and the user name taken from a client certificate.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ListenerStartupIT {
  @TempDir static Path dir;
  private static CertificateGenerator.Files certs;

  @BeforeAll
  static void makeCertificates() {
    certs = TlsSupport.certificates(dir.resolve("certs"), "device-7");
  }

  @Test
  void aMissingKeyFileIsNamed() {
    Path missing = dir.resolve("nope-key.pem");
    assertThatThrownBy(() -> start(tls(certs.serverCert(), missing)))
        .isInstanceOf(BrokerStartException.class)
        .hasMessageContaining("listener 'secure'")
        .hasMessageContaining("tls.key_file " + missing)
        .hasMessageContaining("no such file");
  }

  @Test
  void anUnreadableCertificateFileIsNamed() {
    // A directory cannot be read as a file, whoever runs the test (root reads any file).
    assertThatThrownBy(() -> start(tls(dir, certs.serverKey())))
        .isInstanceOf(BrokerStartException.class)
        .hasMessageContaining("tls.cert_file " + dir)
        .hasMessageContaining("cannot be read");
  }

  @Test
  void aFileWithoutCertificateOrKeyIsNamed() throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.pem"), "hello\n");
    assertThatThrownBy(() -> start(tls(junk, certs.serverKey())))
        .hasMessageContaining("tls.cert_file " + junk);
    assertThatThrownBy(() -> start(tls(certs.serverCert(), junk)))
        .hasMessageContaining("tls.key_file " + junk)
        .hasMessageContaining("no PEM private key");
  }

  @Test
  void aTraditionalFormatKeyIsExplained() throws Exception {
    Path rsa =
        Files.writeString(
            dir.resolve("rsa-key.pem"),
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    assertThatThrownBy(() -> start(tls(certs.serverCert(), rsa)))
        .hasMessageContaining("not in PKCS#8 form")
        .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
  }

  @Test
  void aKeyThatDoesNotMatchTheCertificateIsRefused() {
    assertThatThrownBy(() -> start(tls(certs.serverCert(), certs.clientKey())))
        .isInstanceOf(BrokerStartException.class)
        .hasMessageContaining("tls.key_file " + certs.clientKey())
        .hasMessageContaining("does not match the certificate");
  }

  @Test
  void anUnknownCipherIsRefused() {
    TlsConfig bad =
        new TlsConfig(
            certs.serverCert(),
            certs.serverKey(),
            TlsConfig.DEFAULT_PROTOCOLS,
            List.of("TLS_NO_SUCH_CIPHER"),
            TlsConfig.ClientAuth.NONE,
            null,
            CertificateUsername.NONE,
            0);
    assertThatThrownBy(() -> start(List.of(Listener.of("secure", Kind.TLS, "127.0.0.1", 0, bad))))
        .isInstanceOf(BrokerStartException.class)
        .hasMessageContaining("listener 'secure'")
        .hasMessageContaining("tls.ciphers");
  }

  @Test
  void aPortInUseNamesTheListener() throws Exception {
    try (Broker first = start(List.of(Listener.tcp("tcp", "127.0.0.1", 0)))) {
      int taken = first.port();
      assertThatThrownBy(
              () ->
                  start(
                      List.of(
                          Listener.tcp("tcp", "127.0.0.1", 0),
                          Listener.of("web", Kind.WS, "127.0.0.1", taken, null))))
          .isInstanceOf(BrokerStartException.class)
          .hasMessageContaining("listener 'web' (ws) cannot listen on 127.0.0.1:" + taken)
          .hasMessageContaining("in use");
    }
  }

  @Test
  void starlingBrokerPrintsOneLineAndExitsWith1() throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("bad.yaml"),
            String.join(
                "\n",
                "listeners:",
                "  - kind: tls",
                "    name: secure",
                "    bind: 127.0.0.1",
                "    port: 0",
                "    tls:",
                "      cert_file: " + certs.serverCert(),
                "      key_file: " + certs.caKey(),
                ""));
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new PrintWriter(new StringWriter()),
            new PrintWriter(err, true),
            "broker",
            "--config",
            config.toString());
    assertThat(code).isEqualTo(1);
    assertThat(err.toString().strip())
        .startsWith("starling: listener 'secure' (tls): tls.key_file")
        .contains("does not match")
        .doesNotContain("\n");
  }

  @Test
  void aConfigErrorInAListenerNamesTheKey() throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("bad-key.yaml"),
            "listeners:\n  - kind: wss\n    port: 0\n    websocket:\n      path: /x\n");
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new PrintWriter(new StringWriter()),
            new PrintWriter(err, true),
            "broker",
            "--config",
            config.toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("bad-key.yaml:2").contains("'listeners[0].tls' is missing");
  }

  @Test
  void starlingCertWritesFilesAndPrintsTheConfig() throws Exception {
    Path out = dir.resolve("cli-certs");
    StringWriter stdout = new StringWriter();
    int code =
        Main.run(
            new PrintWriter(stdout, true),
            new PrintWriter(new StringWriter()),
            "cert",
            out.toString());
    assertThat(code).isZero();
    for (String f : CertificateGenerator.FILES) {
      assertThat(out.resolve(f)).isRegularFile();
    }
    // The config file it writes is valid and names the files.
    BrokerConfig written = ConfigLoader.load(out.resolve("starling-tls.yaml"));
    assertThat(written.listeners())
        .extracting(l -> l.kind().configName())
        .containsExactly("tcp", "tls", "wss");
    assertThat(written.listeners().get(1).tls().keyFile()).isEqualTo(out.resolve("server-key.pem"));
    assertThat(stdout.toString())
        .contains("kind: tls")
        .contains("cert_file: " + out.resolve("server.pem"))
        .contains("key_file: " + out.resolve("server-key.pem"));
    // The printed files start a broker.
    try (Broker b = start(tls(out.resolve("server.pem"), out.resolve("server-key.pem")))) {
      assertThat(b.port("secure")).isPositive();
    }
    // A second run does not overwrite them without --force.
    StringWriter err = new StringWriter();
    assertThat(
            Main.run(
                new PrintWriter(new StringWriter()),
                new PrintWriter(err, true),
                "cert",
                out.toString()))
        .isEqualTo(1);
    assertThat(err.toString()).contains("--force");
  }

  @Test
  void theCertificateUserNameIsTheCommonNameOrTheFirstAlternativeName() throws Exception {
    X509Certificate cert;
    try (var in = Files.newInputStream(certs.clientCert())) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    assertThat(CertificateUsernames.of(cert, CertificateUsername.CN)).isEqualTo("device-7");
    assertThat(CertificateUsernames.of(cert, CertificateUsername.SAN)).isEqualTo("device-7");
    assertThat(CertificateUsernames.of(cert, CertificateUsername.NONE)).isNull();
  }

  private static List<Listener> tls(Path cert, Path key) {
    return List.of(
        Listener.tcp("tcp", "127.0.0.1", 0),
        Listener.of("secure", Kind.TLS, "127.0.0.1", 0, TlsConfig.server(cert, key)));
  }

  private static Broker start(List<Listener> listeners) throws BrokerStartException {
    return Broker.start(
        BrokerConfig.defaults().withSys(new BrokerConfig.Sys(0)).withListeners(listeners));
  }
}
