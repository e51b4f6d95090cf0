package io.starling.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class PasswordFileTest {
  @Test
  void savedUsersVerifyWithTheirPasswordOnlyAndNoPlainTextIsStored(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("passwd");
    PasswordFile.empty()
        .with("alice", "s3cret-alice".toCharArray(), 1000)
        .with("bob", "hunter2".toCharArray(), 1000)
        .save(file);
    String text = Files.readString(file, StandardCharsets.UTF_8);
    assertThat(text).startsWith("alice:scram-sha-512:1000:").doesNotContain("s3cret", "hunter2");

    PasswordFile read = PasswordFile.load(file);
    assertThat(read.users()).containsExactly("alice", "bob");
    assertThat(read.verify("alice", "s3cret-alice".toCharArray())).isTrue();
    assertThat(read.verify("alice", "hunter2".toCharArray())).isFalse();
    assertThat(read.verify("carol", "hunter2".toCharArray())).isFalse();
    assertThat(read.without("alice").users()).containsExactly("bob");
  }

  @Test
  void theFileKeepsScramsStoredKeyAndServerKeyNotTheSaltedPassword() {
    PasswordFile f = PasswordFile.empty().with("u", "pw".toCharArray(), 1000);
    PasswordFile.Entry e = f.entry("u");
    byte[] salted = PasswordFile.hash("pw".toCharArray(), e.salt(), 1000);
    assertThat(salted).hasSize(64);
    assertThat(e.storedKey())
        .isEqualTo(ScramSha512Server.sha512(ScramSha512Server.hmac(salted, "Client Key")));
    assertThat(e.serverKey()).isEqualTo(ScramSha512Server.hmac(salted, "Server Key"));
    String line = f.format().strip();
    assertThat(line.split(":")).hasSize(6);
    assertThat(line).doesNotContain(Base64.getEncoder().encodeToString(salted));
  }

  @Test
  void anOldLineWithTheSaltedPasswordStillVerifiesAndIsRewrittenOnSave(@TempDir Path dir)
      throws IOException {
    byte[] salt = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    byte[] salted = PasswordFile.hash("old-pw".toCharArray(), salt, 1000);
    var b64 = Base64.getEncoder();
    String old =
        "carol:pbkdf2-sha512:1000:"
            + b64.encodeToString(salt)
            + ":"
            + b64.encodeToString(salted)
            + "\n";
    PasswordFile read = PasswordFile.parse(old, "old");
    assertThat(read.legacyUsers()).containsExactly("carol");
    assertThat(read.verify("carol", "old-pw".toCharArray())).isTrue();
    assertThat(read.verify("carol", "other".toCharArray())).isFalse();

    Path file = dir.resolve("passwd");
    read.with("dave", "d".toCharArray(), 1000).save(file);
    String text = Files.readString(file, StandardCharsets.UTF_8);
    assertThat(text).doesNotContain("pbkdf2-sha512").doesNotContain(b64.encodeToString(salted));
    PasswordFile again = PasswordFile.load(file);
    assertThat(again.legacyUsers()).isEmpty();
    assertThat(again.verify("carol", "old-pw".toCharArray())).isTrue();
  }

  @Test
  void theTypicalIterationCountIsTheMostCommonOne() {
    PasswordFile f =
        PasswordFile.empty()
            .with("a", "x".toCharArray(), 1000)
            .with("b", "x".toCharArray(), 2000)
            .with("c", "x".toCharArray(), 1000);
    assertThat(f.typicalIterations()).isEqualTo(1000);
    assertThat(PasswordFile.empty().typicalIterations()).isEqualTo(PasswordFile.DEFAULT_ITERATIONS);
  }

  @Test
  void aBadLineIsNamed() {
    assertThatThrownBy(() -> PasswordFile.parse("# users\nalice:plain:pw\n", "p.txt"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("p.txt:2");
  }

  @Test
  void userNamesWithAColonAreRefused() {
    assertThatThrownBy(() -> PasswordFile.empty().with("a:b", "x".toCharArray(), 1000))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
