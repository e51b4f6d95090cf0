package io.starling.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.broker.security.ScramSha512Server.ScramException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The server against a client written from RFC 5802 here. */
@Timeout(30)
class ScramSha512ServerTest {
  private static final PasswordFile USERS =
      PasswordFile.empty().with("alice", "correct horse".toCharArray(), 4096);

  /** The client side of RFC 5802 with SHA-512. */
  private static class Client {
    final String user;
    final String password;
    final String clientNonce = "fyko+d2lbbFgONRv9qkxdawL";
    String clientFirstBare;
    String authMessage;
    byte[] saltedPassword;

    Client(String user, String password) {
      this.user = user;
      this.password = password;
    }

    String first() {
      clientFirstBare = "n=" + user.replace("=", "=3D").replace(",", "=2C") + ",r=" + clientNonce;
      return "n,," + clientFirstBare;
    }

    String last(String serverFirst) {
      Map<String, String> a = attributes(serverFirst);
      assertThat(a.get("r")).startsWith(clientNonce);
      byte[] salt = Base64.getDecoder().decode(a.get("s"));
      int iterations = Integer.parseInt(a.get("i"));
      saltedPassword = saltedPasswordFor(salt, iterations);
      String withoutProof = "c=biws,r=" + a.get("r");
      authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
      byte[] clientKey = ScramSha512Server.hmac(saltedPassword, "Client Key");
      byte[] storedKey = ScramSha512Server.sha512(clientKey);
      byte[] signature = ScramSha512Server.hmac(storedKey, authMessage);
      byte[] proof = new byte[clientKey.length];
      for (int i = 0; i < proof.length; i++) {
        proof[i] = (byte) (clientKey[i] ^ signature[i]);
      }
      return withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof);
    }

    byte[] saltedPasswordFor(byte[] salt, int iterations) {
      return PasswordFile.hash(password.toCharArray(), salt, iterations);
    }

    boolean serverIsGenuine(String serverFinal) {
      byte[] serverKey = ScramSha512Server.hmac(saltedPassword, "Server Key");
      String expected =
          "v=" + Base64.getEncoder().encodeToString(ScramSha512Server.hmac(serverKey, authMessage));
      return expected.equals(serverFinal);
    }

    static Map<String, String> attributes(String message) {
      Map<String, String> out = new HashMap<>();
      for (String part : message.split(",")) {
        out.put(part.substring(0, 1), part.substring(2));
      }
      return out;
    }
  }

  @Test
  void theRightPasswordAuthenticatesBothWays() throws ScramException {
    Client client = new Client("alice", "correct horse");
    ScramSha512Server server = new ScramSha512Server(USERS);
    String serverFirst = server.clientFirst(client.first());
    assertThat(serverFirst).contains(",i=4096");
    String serverFinal = server.clientFinal(client.last(serverFirst));
    assertThat(client.serverIsGenuine(serverFinal)).isTrue();
    assertThat(server.username()).isEqualTo("alice");
  }

  @Test
  void aWrongPasswordIsAnInvalidProof() throws ScramException {
    Client client = new Client("alice", "wrong");
    ScramSha512Server server = new ScramSha512Server(USERS);
    String serverFirst = server.clientFirst(client.first());
    assertThatThrownBy(() -> server.clientFinal(client.last(serverFirst)))
        .isInstanceOfSatisfying(
            ScramException.class,
            e -> assertThat(e.serverFinalMessage()).isEqualTo("e=invalid-proof"));
  }

  @Test
  void anUnknownUserLooksLikeAWrongPasswordWithAStableSalt() throws ScramException {
    ScramSha512Server a = new ScramSha512Server(USERS);
    ScramSha512Server b = new ScramSha512Server(USERS);
    Client client = new Client("mallory", "x");
    String first = a.clientFirst(client.first());
    String again = b.clientFirst(client.first());
    assertThat(Client.attributes(first).get("s")).isEqualTo(Client.attributes(again).get("s"));
    // The iteration count the known users have, not a default that would give the user away.
    assertThat(Client.attributes(first).get("i")).isEqualTo("4096");
    assertThatThrownBy(() -> a.clientFinal(client.last(first))).hasMessage("invalid-proof");
  }

  @Test
  void whatTheFileStoresIsNoSaltedPasswordAndLogsNobodyIn() throws Exception {
    PasswordFile.Entry e = USERS.entry("alice");
    byte[] salted = PasswordFile.hash("correct horse".toCharArray(), e.salt(), e.iterations());
    assertThat(e.storedKey()).isNotEqualTo(salted);
    assertThat(e.serverKey()).isNotEqualTo(salted);
    // Someone holding the file's secrets and trying them as the SaltedPassword is refused.
    for (byte[] stolen : new byte[][] {e.storedKey(), e.serverKey()}) {
      Client thief =
          new Client("alice", "unused") {
            @Override
            byte[] saltedPasswordFor(byte[] salt, int iterations) {
              return stolen;
            }
          };
      ScramSha512Server server = new ScramSha512Server(USERS);
      String serverFirst = server.clientFirst(thief.first());
      assertThatThrownBy(() -> server.clientFinal(thief.last(serverFirst)))
          .hasMessage("invalid-proof");
    }
  }

  @Test
  void aTamperedNonceOrBindingIsRefused() throws ScramException {
    Client client = new Client("alice", "correct horse");
    ScramSha512Server server = new ScramSha512Server(USERS);
    String serverFirst = server.clientFirst(client.first());
    String last = client.last(serverFirst).replace(",r=", ",r=x");
    assertThatThrownBy(() -> server.clientFinal(last)).isInstanceOf(ScramException.class);

    ScramSha512Server second = new ScramSha512Server(USERS);
    String sf = second.clientFirst(client.first());
    String badBinding = client.last(sf).replace("c=biws", "c=eSws");
    assertThatThrownBy(() -> second.clientFinal(badBinding))
        .hasMessage("channel-bindings-dont-match");
  }

  @Test
  void channelBindingAndMalformedMessagesAreRefused() {
    assertThatThrownBy(
            () -> new ScramSha512Server(USERS).clientFirst("p=tls-unique,,n=alice,r=abc"))
        .hasMessage("channel-binding-not-supported");
    assertThatThrownBy(() -> new ScramSha512Server(USERS).clientFirst("n,,r=abc"))
        .isInstanceOf(ScramException.class);
    assertThatThrownBy(() -> new ScramSha512Server(USERS).clientFinal("c=biws,r=a,p=AA=="))
        .isInstanceOf(ScramException.class);
    assertThat("biws")
        .isEqualTo(Base64.getEncoder().encodeToString("n,,".getBytes(StandardCharsets.UTF_8)));
  }
}
