package io.starling.broker.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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

  /** PBKDF2 as the file authenticator runs it, counted: the iteration count of every call. */
  private static final class CountingPbkdf2 implements FileAuthenticator.Pbkdf2 {
    final List<Integer> calls = new CopyOnWriteArrayList<>();

    @Override
    public byte[] hash(char[] password, byte[] salt, int iterations) {
      calls.add(iterations);
      return PasswordFile.hash(password, salt, iterations);
    }
  }

  /** Runs {@code request} through a chain of {@code links} the way a CONNECT does. */
  private static Login viaChain(List<Authenticator> links, AuthRequest request) throws Exception {
    var scheduler = Executors.newSingleThreadScheduledExecutor();
    try (AuthenticatorChain chain =
        AuthenticatorChain.of(links, 1, 16, scheduler, Executors.defaultThreadFactory(), 10_000)) {
      CompletableFuture<Login> out = new CompletableFuture<>();
      chain.runAsync(
          request,
          d ->
              new Login(
                  d.result() != null && d.result().outcome() == AuthResult.Outcome.ALLOW
                      ? ReasonCode.SUCCESS
                      : ReasonCode.BAD_USER_NAME_OR_PASSWORD,
                  null),
          () -> {},
          out::complete);
      return out.get(10, TimeUnit.SECONDS);
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void anUnknownUserIsRefusedAfterAsMuchHashingAsAWrongPassword(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("passwd");
    PasswordFile.empty().with("alice", "pw".toCharArray(), 3000).save(file);
    CountingPbkdf2 pbkdf2 = new CountingPbkdf2();
    FileAuthenticator auth = new FileAuthenticator(file, 300, pbkdf2);

    assertThat(viaChain(List.of(auth), request("alice", "wrong")).isSuccess()).isFalse();
    assertThat(pbkdf2.calls).containsExactly(3000);
    pbkdf2.calls.clear();
    assertThat(viaChain(List.of(auth), request("mallory", "wrong")).isSuccess()).isFalse();
    assertThat(pbkdf2.calls).as("one hash at the known users' cost").containsExactly(3000);

    // A user the next authenticator lets in costs no hash: only refusals are evened out.
    pbkdf2.calls.clear();
    Authenticator everyone = r -> AuthResult.allow(r.username());
    assertThat(viaChain(List.of(auth, everyone), request("mallory", "x")).isSuccess()).isTrue();
    assertThat(pbkdf2.calls).isEmpty();
  }

  @Test
  void aCachedLoginIsAnsweredFromMemoryAndOthersAreLeftToTheThreads(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("passwd");
    PasswordFile.empty().with("alice", "pw".toCharArray(), 1000).save(file);
    CountingPbkdf2 pbkdf2 = new CountingPbkdf2();
    FileAuthenticator auth = new FileAuthenticator(file, 300, pbkdf2);
    assertThat(auth.quickAnswer(request("alice", "pw"))).isNull();
    assertThat(auth.authenticate(request("alice", "pw")).outcome())
        .isEqualTo(AuthResult.Outcome.ALLOW);
    assertThat(auth.quickAnswer(request("alice", "pw")).outcome())
        .isEqualTo(AuthResult.Outcome.ALLOW);
    assertThat(auth.quickAnswer(request("alice", "other"))).isNull();
    assertThat(auth.quickAnswer(request("bob", "pw"))).isNull();
    assertThat(pbkdf2.calls).hasSize(1);
  }

  @Test
  void theRequestNeverShowsThePassword() {
    assertThat(request("alice", "hunter2").toString()).doesNotContain("hunter2").contains("***");
  }
}
