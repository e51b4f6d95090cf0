package io.starling.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    assertThat(text).startsWith("alice:pbkdf2-sha512:1000:").doesNotContain("s3cret", "hunter2");

    PasswordFile read = PasswordFile.load(file);
    assertThat(read.users()).containsExactly("alice", "bob");
    assertThat(read.verify("alice", "s3cret-alice".toCharArray())).isTrue();
    assertThat(read.verify("alice", "hunter2".toCharArray())).isFalse();
    assertThat(read.verify("carol", "hunter2".toCharArray())).isFalse();
    assertThat(read.without("alice").users()).containsExactly("bob");
  }

  @Test
  void theHashIsPbkdf2Sha512WithA64ByteKey() {
    PasswordFile f = PasswordFile.empty().with("u", "pw".toCharArray(), 1000);
    PasswordFile.Entry e = f.entry("u");
    assertThat(e.saltedPassword()).hasSize(64);
    assertThat(e.saltedPassword()).isEqualTo(PasswordFile.hash("pw".toCharArray(), e.salt(), 1000));
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
