package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.starling.codec.ReasonCode;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client sends never decides what the broker's log looks like: a client id with CR/LF cannot
 * write a line of its own, a 60,000-character user name does not land in the log whole, and a flood
 * of refused logins writes a bounded number of lines. Read from a real broker process's output, as
 * an operator's log collector would.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LogSafetyIT {
  private static final String FORGED = "2026-12-07 12:00:00 INFO  login accepted for user admin";
  private static final int ATTEMPTS = 1_000;

  @TempDir Path dir;

  @Test
  void clientChosenNamesAreEscapedCutAndRefusalsRateLimited() throws Exception {
    Path passwd = dir.resolve("passwd");
    passwd(passwd, "alice", "alice-pw");
    Path config = dir.resolve("starling.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "security:",
            "  authenticators: [file]",
            "  password_file: " + passwd,
            "  auth_cache_seconds: 0",
            "sys:",
            "  interval_seconds: 0",
            ""),
        StandardCharsets.UTF_8);
    int port = freePort();
    try (BrokerProcess broker =
        BrokerProcess.start(
            Duration.ofSeconds(60),
            "--port",
            Integer.toString(port),
            "--config",
            config.toString())) {
      assertThat(broker.isAlive()).as("broker output:%n%s", broker).isTrue();
      String evilId = "evil\r\n" + FORGED;
      String hugeUser = "u".repeat(60_000);
      long started = System.nanoTime();
      for (int i = 0; i < ATTEMPTS; i++) {
        ReasonCode r = SecuritySupport.login(port, evilId, hugeUser, "wrong");
        assertThat(r).isNotEqualTo(ReasonCode.SUCCESS);
      }
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started) + 1;

      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> broker.contains("evil\\r\\n2026-12-07 12:00:00 INFO"));
      List<String> lines = List.of(broker.toString().split("\n"));
      assertThat(lines)
          .as("no line of the client's own")
          .noneMatch(l -> l.startsWith("2026-12-07 12:00:00 INFO  login accepted"));
      assertThat(lines).as("no 60,000-character user name").allMatch(l -> l.length() < 2_000);
      long refusals = lines.stream().filter(l -> l.contains("evil")).count();
      assertThat(refusals)
          .as("%d refused logins in about %d s write a few lines a second", ATTEMPTS, seconds)
          .isPositive()
          // refused logins (20/s), a busy authentication queue (10/s) and the refused
          // connections' close lines (20/s) are limited apart
          .isLessThanOrEqualTo(Math.min(50 * (seconds + 1), ATTEMPTS / 2));
      assertThat(broker.contains("similar lines held back")).isTrue();
    }
  }

  private static void passwd(Path file, String user, String password) {
    SecuritySupport.passwd(file, 1000, "-c", user, password);
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
