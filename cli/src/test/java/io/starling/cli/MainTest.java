package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void versionPrintsTheVersion() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString()).startsWith("starling 0.");
  }

  @Test
  void helpListsTheBrokerCommand() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("broker");
  }

  @Test
  void everyCommandHasHelp() {
    for (String command : new String[] {"broker", "bench", "pub", "sub", "cert", "passwd"}) {
      out.getBuffer().setLength(0);
      assertThat(run(command, "--help")).as(command + " --help").isZero();
      assertThat(out.toString()).as(command + " --help").contains("Usage: starling " + command);
    }
  }

  @Test
  void anUnknownFlagIsAnError() {
    assertThat(run("broker", "--prot", "1")).isEqualTo(2);
    assertThat(err.toString()).contains("Unknown options: '--prot'");
  }

  @Test
  void aBadConfigFileNamesTheKeyAndLine(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "limits:\n  max_inflight: 3\n", StandardCharsets.UTF_8);
    assertThat(run("broker", "--config", file.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("bad.yaml:2").contains("limits.max_inflight");
  }

  @Test
  void aMissingConfigFileIsNamed() {
    assertThat(run("broker", "--config", "/no/such.yaml")).isEqualTo(2);
    assertThat(err.toString()).contains("/no/such.yaml");
  }

  @Test
  void aBadPortIsRefused() {
    assertThat(run("broker", "--port", "70000")).isEqualTo(2);
    assertThat(err.toString()).contains("--port must be 0 to 65535");
  }

  @Test
  void aPortInUseIsReported() throws Exception {
    try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int port = socket.getLocalPort();
      assertThat(run("broker", "--bind", "127.0.0.1", "--port", Integer.toString(port)))
          .isEqualTo(1);
      assertThat(err.toString()).contains("cannot listen on 127.0.0.1:" + port);
    }
  }
}
