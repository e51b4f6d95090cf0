package io.starling.broker.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.codec.MqttVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class FileAuthenticatorTest {
  private static AuthRequest request(String user, String password) {
    return new AuthRequest(
        "c",
        user,
        password == null ? null : password.getBytes(StandardCharsets.UTF_8),
        new InetSocketAddress("127.0.0.1", 1),
        null,
        MqttVersion.V3_1_1);
  }

  @Test
  void aCachedSuccessNeverLetsAWrongPasswordInAndAReloadForgetsIt(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("passwd");
    PasswordFile.empty().with("alice", "pw-1".toCharArray(), 1000).save(file);
    FileAuthenticator auth = new FileAuthenticator(file, 300);

    assertThat(auth.authenticate(request("alice", "pw-1")).outcome())
        .isEqualTo(AuthResult.Outcome.ALLOW);
    assertThat(auth.authenticate(request("alice", "pw-1")).outcome())
        .isEqualTo(AuthResult.Outcome.ALLOW);
    assertThat(auth.authenticate(request("alice", "pw-2")).outcome())
        .isEqualTo(AuthResult.Outcome.BAD_CREDENTIALS);
    assertThat(auth.authenticate(request("alice", null)).outcome())
        .isEqualTo(AuthResult.Outcome.BAD_CREDENTIALS);
    assertThat(auth.authenticate(request("bob", "pw-1")).outcome())
        .isEqualTo(AuthResult.Outcome.CONTINUE);

    PasswordFile.load(file).with("alice", "pw-2".toCharArray(), 1000).save(file);
    auth.reload();
    assertThat(auth.authenticate(request("alice", "pw-1")).outcome())
        .isEqualTo(AuthResult.Outcome.BAD_CREDENTIALS);
    assertThat(auth.authenticate(request("alice", "pw-2")).outcome())
        .isEqualTo(AuthResult.Outcome.ALLOW);
  }

  @Test
  void theRequestNeverShowsThePassword() {
    assertThat(request("alice", "hunter2").toString()).doesNotContain("hunter2").contains("***");
  }
}
