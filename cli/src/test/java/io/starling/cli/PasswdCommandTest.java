package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.security.PasswordFile;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code starling passwd}: the mosquitto_passwd workflow, through Main.run. */
@Timeout(60)
class PasswdCommandTest {
  private StringWriter out = new StringWriter();
  private StringWriter err = new StringWriter();

  private int run(String stdin, String... args) {
    out = new StringWriter();
    err = new StringWriter();
    InputStream saved = System.in;
    System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    try {
      return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    } finally {
      System.setIn(saved);
    }
  }

  @Test
  void createAddUpdateVerifyDeleteRoundTrip(@TempDir Path dir) throws Exception {
    String f = dir.resolve("passwd").toString();
    String fast = "--iterations=1000";
    assertThat(run("first-pass\n", "passwd", "-c", "--stdin", fast, f, "alice")).isZero();
    assertThat(out.toString()).contains("added user alice");
    assertThat(run("bob-pass\n", "passwd", "--stdin", fast, f, "bob")).isZero();
    assertThat(run("first-pass\n", "passwd", "--verify", "--stdin", f, "alice")).isZero();
    assertThat(run("bob-pass\n", "passwd", "--verify", "--stdin", f, "alice")).isEqualTo(1);

    assertThat(run("second-pass\n", "passwd", "--stdin", fast, f, "alice")).isZero();
    assertThat(out.toString()).contains("updated user alice");
    assertThat(run("first-pass\n", "passwd", "--verify", "--stdin", f, "alice")).isEqualTo(1);
    assertThat(run("second-pass\n", "passwd", "--verify", "--stdin", f, "alice")).isZero();

    String text = Files.readString(Path.of(f), StandardCharsets.UTF_8);
    assertThat(text).doesNotContain("pass").contains("alice:scram-sha-512:1000:");

    assertThat(run("", "passwd", "-D", f, "alice")).isZero();
    assertThat(PasswordFile.load(Path.of(f)).users()).containsExactly("bob");
    assertThat(run("", "passwd", "-D", f, "alice")).isEqualTo(1);
    assertThat(run("bob-pass\n", "passwd", "--verify", "--stdin", f, "bob")).isZero();
  }

  @Test
  void anOldFileKeepsWorkingAndIsUpgradedByTheNextWrite(@TempDir Path dir) throws Exception {
    // A file of the earlier form: the SCRAM SaltedPassword itself, as good as the password.
    byte[] salt = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    byte[] salted = PasswordFile.hash("old-pass".toCharArray(), salt, 1000);
    var b64 = Base64.getEncoder();
    Path f = dir.resolve("passwd");
    Files.writeString(
        f,
        "alice:pbkdf2-sha512:1000:"
            + b64.encodeToString(salt)
            + ":"
            + b64.encodeToString(salted)
            + "\n",
        StandardCharsets.UTF_8);
    assertThat(run("old-pass\n", "passwd", "--verify", "--stdin", f.toString(), "alice")).isZero();

    assertThat(run("bob-pass\n", "passwd", "--stdin", "--iterations=1000", f.toString(), "bob"))
        .isZero();
    assertThat(out.toString()).contains("rewrote 1 user").contains("scram-sha-512");
    String text = Files.readString(f, StandardCharsets.UTF_8);
    assertThat(text)
        .doesNotContain("pbkdf2-sha512")
        .doesNotContain(b64.encodeToString(salted))
        .contains("alice:scram-sha-512:1000:");
    assertThat(run("old-pass\n", "passwd", "--verify", "--stdin", f.toString(), "alice")).isZero();
    assertThat(run("nope\n", "passwd", "--verify", "--stdin", f.toString(), "alice")).isEqualTo(1);
  }

  @Test
  void theDefaultIterationCountIsUsedWithoutTheFlag(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("p");
    assertThat(run("pw\n", "passwd", "-c", "--stdin", f.toString(), "u")).isZero();
    assertThat(PasswordFile.load(f).entry("u").iterations())
        .isEqualTo(PasswordFile.DEFAULT_ITERATIONS);
  }

  @Test
  void mistakesAreExplained(@TempDir Path dir) {
    String f = dir.resolve("none").toString();
    assertThat(run("pw\n", "passwd", "--stdin", f, "alice")).isEqualTo(2);
    assertThat(err.toString()).contains("does not exist").contains("-c");
    assertThat(run("", "passwd", "-c", "--stdin", f, "alice")).isEqualTo(2);
    assertThat(err.toString()).contains("no password on standard input");
    assertThat(run("pw\n", "passwd", "-c", "--stdin", f, "al:ice")).isEqualTo(2);
    assertThat(err.toString()).contains("':'");
    assertThat(run("pw\n", "passwd", "-c", "-D", f, "alice")).isEqualTo(2);
    // Without a terminal and without --stdin there is nowhere to read the password from.
    assertThat(run("pw\n", "passwd", "-c", f, "alice")).isEqualTo(2);
    assertThat(err.toString()).contains("--stdin");
  }

  @Test
  void aBrokerWhosePasswordFileIsMissingSaysHowToMakeIt(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("s.yaml");
    Path missing = dir.resolve("missing-passwd");
    Files.writeString(
        config,
        "listeners:\n  - kind: tcp\n    port: 0\n    bind: 127.0.0.1\n"
            + "security:\n  authenticators: [file]\n  password_file: "
            + missing
            + "\n",
        StandardCharsets.UTF_8);
    assertThat(run("", "broker", "--config", config.toString())).isEqualTo(1);
    assertThat(err.toString())
        .contains("security.password_file")
        .contains("starling passwd -c " + missing);
  }
}
