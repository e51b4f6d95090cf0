package io.starling.broker.security;

import io.starling.broker.security.ScramSha512Server.ScramException;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * SCRAM-SHA-512 as an MQTT 5.0 enhanced authentication method, over the users of the password file:
 * the file keeps SCRAM's StoredKey and ServerKey, so the same file serves both plain CONNECT
 * passwords and SCRAM. All work is HMACs on data in memory, cheap enough for the event loop.
 */
public final class ScramSha512Authenticator implements EnhancedAuthenticator {
  /** The Authentication Method clients name. */
  public static final String METHOD = "SCRAM-SHA-512";

  private final Supplier<PasswordFile> passwords;

  /**
   * @param passwords the password file in force now (it may be reloaded)
   */
  public ScramSha512Authenticator(Supplier<PasswordFile> passwords) {
    this.passwords = passwords;
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Exchange start() {
    PasswordFile file = passwords.get();
    ScramSha512Server server = new ScramSha512Server(file::entry, file.typicalIterations());
    return new Exchange() {
      private boolean first = true;

      @Override
      public Step step(byte[] clientData) {
        String message = new String(clientData, StandardCharsets.UTF_8);
        try {
          if (first) {
            first = false;
            return Step.proceed(utf8(server.clientFirst(message)));
          }
          return Step.success(utf8(server.clientFinal(message)), server.username());
        } catch (ScramException e) {
          return Step.failure(utf8(e.serverFinalMessage()));
        }
      }
    };
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
