package io.starling.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Mosquitto from Debian's packages ({@code /usr/sbin/mosquitto}), started on free loopback ports
 * with a config file generated in a temporary directory: a plain listener, and optionally a
 * WebSocket listener, a TLS listener (with {@link TestCerts}) and a password file.
 */
final class Mosquitto implements AutoCloseable {
  static final Path BINARY = Path.of("/usr/sbin/mosquitto");

  private final Path dir;
  private Process process;
  final int port;
  final int webSocketPort;
  final int tlsPort;

  /** Secure WebSocket, when both {@link Builder#webSocket()} and {@link Builder#tls} are set. */
  final int webSocketTlsPort;

  private Mosquitto(
      Path dir, Process process, int port, int webSocketPort, int tlsPort, int webSocketTlsPort) {
    this.dir = dir;
    this.process = process;
    this.port = port;
    this.webSocketPort = webSocketPort;
    this.tlsPort = tlsPort;
    this.webSocketTlsPort = webSocketTlsPort;
  }

  /** A builder; {@link Builder#start()} waits until every listener accepts connections. */
  static Builder builder() {
    return new Builder();
  }

  static final class Builder {
    private boolean webSocket;
    private TestCerts tls;
    private String user;
    private String password;

    Builder webSocket() {
      this.webSocket = true;
      return this;
    }

    Builder tls(TestCerts certs) {
      this.tls = certs;
      return this;
    }

    Builder password(String user, String password) {
      this.user = user;
      this.password = password;
      return this;
    }

    Mosquitto start() throws IOException, InterruptedException {
      Path dir = Files.createTempDirectory("mosquitto");
      dir.toFile().setReadable(true, false);
      dir.toFile().setExecutable(true, false);
      int port = freePort();
      int wsPort = webSocket ? freePort() : -1;
      int tlsPort = tls != null ? freePort() : -1;
      int wssPort = tls != null && webSocket ? freePort() : -1;
      List<String> conf = new ArrayList<>();
      conf.add("user " + System.getProperty("user.name"));
      conf.add("persistence false");
      conf.add("log_dest stdout");
      conf.add("per_listener_settings false");
      conf.add("listener " + port + " 127.0.0.1");
      if (webSocket) {
        conf.add("listener " + wsPort + " 127.0.0.1");
        conf.add("protocol websockets");
      }
      if (tls != null) {
        conf.add("listener " + tlsPort + " 127.0.0.1");
        conf.add("cafile " + tls.ca());
        conf.add("certfile " + tls.serverCert());
        conf.add("keyfile " + tls.serverKey());
        conf.add("require_certificate true");
      }
      if (wssPort > 0) {
        conf.add("listener " + wssPort + " 127.0.0.1");
        conf.add("protocol websockets");
        conf.add("cafile " + tls.ca());
        conf.add("certfile " + tls.serverCert());
        conf.add("keyfile " + tls.serverKey());
      }
      if (user != null) {
        Path pw = dir.resolve("passwords");
        run(dir, "mosquitto_passwd", "-b", "-c", pw.toString(), user, password);
        conf.add("allow_anonymous false");
        conf.add("password_file " + pw);
      } else {
        conf.add("allow_anonymous true");
      }
      Path confFile = dir.resolve("mosquitto.conf");
      Files.write(confFile, conf, StandardCharsets.UTF_8);
      Mosquitto m = new Mosquitto(dir, null, port, wsPort, tlsPort, wssPort);
      m.launch();
      return m;
    }
  }

  /** Stops Mosquitto (SIGTERM) and starts it again on the same ports, with no saved state. */
  void restart() throws IOException {
    close();
    launch();
  }

  private void launch() throws IOException {
    Process p =
        new ProcessBuilder(BINARY.toString(), "-c", dir.resolve("mosquitto.conf").toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("log").toFile()))
            .start();
    process = p;
    try {
      for (int each : new int[] {port, webSocketPort, tlsPort, webSocketTlsPort}) {
        if (each > 0) {
          await()
              .atMost(Duration.ofSeconds(10))
              .pollInterval(Duration.ofMillis(20))
              .until(() -> !p.isAlive() || accepts(each));
        }
      }
      if (!p.isAlive()) {
        throw new IllegalStateException("mosquitto did not start:\n" + log());
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Mosquitto's log so far. */
  String log() {
    try {
      return Files.readString(dir.resolve("log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static void run(Path dir, String... command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new UncheckedIOException(
          new IOException(String.join(" ", command) + " failed:\n" + out));
    }
  }
}
