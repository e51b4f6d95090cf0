package io.starling.broker.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The server side of one SCRAM-SHA-512 exchange (RFC 5802 message formats, with SHA-512 as RFC 7677
 * does for SHA-256), over the StoredKey and ServerKey a {@link PasswordFile} keeps for each user,
 * so users need no second secret and the server holds nothing a client could log in with. Channel
 * binding is not offered (the client must send the GS2 header {@code n,,} or {@code y,,}); user
 * names are compared as sent (no SASLprep).
 *
 * <pre>
 *   client-first  n,,n=USER,r=CNONCE           -> {@link #clientFirst} -> r=CNONCE+SNONCE,s=SALT,i=N
 *   client-final  c=biws,r=NONCE,p=PROOF       -> {@link #clientFinal} -> v=SERVER-SIGNATURE
 * </pre>
 *
 * An unknown user gets a made-up salt (the same one each time), the iteration count most users have
 * and fails at the proof like a wrong password, with the same work, so the exchange does not tell
 * which user names exist. One instance per exchange, not thread-safe; pure (no I/O), so it may run
 * on an event loop: its cost is a few HMACs.
 */
public final class ScramSha512Server {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] UNKNOWN_USER_KEY = new byte[32];

  /** The StoredKey checked for an unknown user: random, so that no proof matches it. */
  private static final byte[] UNKNOWN_STORED_KEY = new byte[64];

  static {
    RANDOM.nextBytes(UNKNOWN_USER_KEY);
    RANDOM.nextBytes(UNKNOWN_STORED_KEY);
  }

  /** Thrown when a message is malformed or the proof is wrong. */
  public static final class ScramException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The RFC 5802 {@code server-error-value}, such as {@code invalid-proof}. */
    private final String error;

    ScramException(String error) {
      super(error);
      this.error = error;
    }

    /** The server-final message that reports this failure, {@code e=...}. */
    public String serverFinalMessage() {
      return "e=" + error;
    }
  }

  private enum State {
    INITIAL,
    FIRST_SENT,
    DONE
  }

  private final Function<String, PasswordFile.Entry> users;
  private final int unknownUserIterations;
  private State state = State.INITIAL;
  private String username;
  private PasswordFile.Entry entry;
  private String clientFirstBare;
  private String serverFirst;
  private String nonce;
  private String gs2Header;

  /**
   * An exchange that looks users up in {@code users} (returns null for an unknown user) and
   * announces {@code unknownUserIterations} for users it does not know.
   */
  public ScramSha512Server(Function<String, PasswordFile.Entry> users, int unknownUserIterations) {
    this.users = users;
    this.unknownUserIterations = unknownUserIterations;
  }

  /** An exchange that looks users up in {@code users} (returns null for an unknown user). */
  public ScramSha512Server(Function<String, PasswordFile.Entry> users) {
    this(users, PasswordFile.DEFAULT_ITERATIONS);
  }

  /** An exchange over a password file. */
  public ScramSha512Server(PasswordFile file) {
    this(file::entry, file.typicalIterations());
  }

  /** Reads the client-first message and returns the server-first message. */
  public String clientFirst(String message) throws ScramException {
    if (state != State.INITIAL) {
      throw new ScramException("other-error");
    }
    if (!message.startsWith("n,") && !message.startsWith("y,")) {
      // "p=" asks for channel binding, which this server does not offer.
      throw new ScramException("channel-binding-not-supported");
    }
    int second = message.indexOf(',', 2);
    if (second < 0) {
      throw new ScramException("other-error");
    }
    gs2Header = message.substring(0, second + 1);
    clientFirstBare = message.substring(second + 1);
    String[] attrs = clientFirstBare.split(",", -1);
    if (attrs.length < 2 || !attrs[0].startsWith("n=") || !attrs[1].startsWith("r=")) {
      throw new ScramException("other-error");
    }
    username = decodeName(attrs[0].substring(2));
    String clientNonce = attrs[1].substring(2);
    if (clientNonce.isEmpty() || clientNonce.indexOf(',') >= 0) {
      throw new ScramException("other-error");
    }
    entry = users.apply(username);
    byte[] salt = entry != null ? entry.salt() : fakeSalt(username);
    int iterations = entry != null ? entry.iterations() : unknownUserIterations;
    byte[] serverNonce = new byte[18];
    RANDOM.nextBytes(serverNonce);
    nonce = clientNonce + Base64.getEncoder().encodeToString(serverNonce);
    serverFirst =
        "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(salt) + ",i=" + iterations;
    state = State.FIRST_SENT;
    return serverFirst;
  }

  /**
   * Reads the client-final message, checks the proof in constant time and returns the server-final
   * message ({@code v=...}) that proves the server knows the password too.
   *
   * @throws ScramException with {@code invalid-proof} for a wrong password or unknown user
   */
  public String clientFinal(String message) throws ScramException {
    if (state != State.FIRST_SENT) {
      throw new ScramException("other-error");
    }
    state = State.DONE;
    int p = message.lastIndexOf(",p=");
    if (!message.startsWith("c=") || p < 0) {
      throw new ScramException("other-error");
    }
    String withoutProof = message.substring(0, p);
    String[] attrs = withoutProof.split(",", -1);
    if (attrs.length < 2 || !attrs[1].startsWith("r=")) {
      throw new ScramException("other-error");
    }
    String binding = gs2Header;
    String expectedC = Base64.getEncoder().encodeToString(binding.getBytes(StandardCharsets.UTF_8));
    if (!attrs[0].substring(2).equals(expectedC)) {
      throw new ScramException("channel-bindings-dont-match");
    }
    if (!attrs[1].substring(2).equals(nonce)) {
      throw new ScramException("other-error");
    }
    byte[] proof;
    try {
      proof = Base64.getDecoder().decode(message.substring(p + 3));
    } catch (IllegalArgumentException e) {
      throw new ScramException("invalid-encoding");
    }
    String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
    byte[] storedKey = entry != null ? entry.storedKey() : UNKNOWN_STORED_KEY;
    byte[] signature = hmac(storedKey, authMessage);
    if (proof.length != signature.length) {
      throw new ScramException("invalid-proof");
    }
    // ClientKey = ClientProof XOR ClientSignature; the proof is right when H(ClientKey) is the
    // StoredKey (RFC 5802 section 3).
    byte[] recovered = new byte[signature.length];
    for (int i = 0; i < recovered.length; i++) {
      recovered[i] = (byte) (proof[i] ^ signature[i]);
    }
    boolean ok = MessageDigest.isEqual(sha512(recovered), storedKey);
    if (!ok || entry == null) {
      throw new ScramException("invalid-proof");
    }
    return "v=" + Base64.getEncoder().encodeToString(hmac(entry.serverKey(), authMessage));
  }

  /** The user name of the exchange once the client-first message was read. */
  public String username() {
    return username;
  }

  private static String decodeName(String saslName) throws ScramException {
    StringBuilder out = new StringBuilder(saslName.length());
    for (int i = 0; i < saslName.length(); i++) {
      char c = saslName.charAt(i);
      if (c == '=') {
        if (saslName.startsWith("=2C", i)) {
          out.append(',');
        } else if (saslName.startsWith("=3D", i)) {
          out.append('=');
        } else {
          throw new ScramException("invalid-username-encoding");
        }
        i += 2;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static byte[] fakeSalt(String user) {
    byte[] h = hmac(UNKNOWN_USER_KEY, user);
    byte[] salt = new byte[16];
    System.arraycopy(h, 0, salt, 0, salt.length);
    return salt;
  }

  static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA512");
      mac.init(new SecretKeySpec(key, "HmacSHA512"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA512 is missing from this JDK", e);
    }
  }

  static byte[] sha512(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-512").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-512 is missing from this JDK", e);
    }
  }
}
