package io.starling.broker.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A password file: one user a line, {@code
 * user:pbkdf2-sha512:ITERATIONS:base64(salt):base64(hash)}, where the hash is PBKDF2-HMAC-SHA512
 * with a 64-byte derived key. That hash is also SCRAM-SHA-512's "SaltedPassword" (RFC 5802), so the
 * same file serves {@link ScramSha512Server}. Lines starting with {@code #} and blank lines are
 * ignored. Plain-text passwords are never stored.
 *
 * <p>Immutable and thread-safe; {@link #with} and {@link #without} return changed copies. Hashing
 * is slow on purpose (about 0.35 s at the default iteration count on a 2-vCPU machine): never call
 * {@link #verify} or {@link #hash} on an event loop.
 */
public final class PasswordFile {
  /**
   * PBKDF2-HMAC-SHA512 iterations for new entries: OWASP's 2023 recommendation for this PRF.
   * Existing entries keep the count they were made with.
   */
  public static final int DEFAULT_ITERATIONS = 210_000;

  /** The scheme name in the file. */
  public static final String SCHEME = "pbkdf2-sha512";

  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 64;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, Entry> users;

  /**
   * One user's stored secret.
   *
   * @param iterations PBKDF2 iterations
   * @param salt the random salt
   * @param saltedPassword PBKDF2-HMAC-SHA512(password, salt, iterations), 64 bytes
   */
  public record Entry(int iterations, byte[] salt, byte[] saltedPassword) {}

  private PasswordFile(Map<String, Entry> users) {
    this.users = Collections.unmodifiableMap(users);
  }

  /** An empty file. */
  public static PasswordFile empty() {
    return new PasswordFile(new LinkedHashMap<>());
  }

  /**
   * Reads a password file.
   *
   * @throws IOException if it cannot be read, or a line is malformed (the message names the line)
   */
  public static PasswordFile load(Path file) throws IOException {
    return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /** Parses password-file text; {@code source} names it in errors. */
  public static PasswordFile parse(String text, String source) throws IOException {
    Map<String, Entry> users = new LinkedHashMap<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split(":", -1);
      String where = source + ":" + (i + 1) + ": ";
      if (f.length != 5 || f[0].isEmpty() || !f[1].equals(SCHEME)) {
        throw new IOException(where + "expected user:" + SCHEME + ":iterations:salt:hash");
      }
      try {
        int iterations = Integer.parseInt(f[2]);
        byte[] salt = Base64.getDecoder().decode(f[3]);
        byte[] hash = Base64.getDecoder().decode(f[4]);
        if (iterations < 1 || salt.length == 0 || hash.length != HASH_BYTES) {
          throw new IllegalArgumentException("bad iterations, salt or hash length");
        }
        users.put(f[0], new Entry(iterations, salt, hash));
      } catch (IllegalArgumentException e) {
        throw new IOException(where + "user '" + f[0] + "': " + e.getMessage(), e);
      }
    }
    return new PasswordFile(users);
  }

  /** The file's text, one line per user. */
  public String format() {
    StringBuilder out = new StringBuilder();
    var b64 = Base64.getEncoder();
    users.forEach(
        (user, e) ->
            out.append(user)
                .append(':')
                .append(SCHEME)
                .append(':')
                .append(e.iterations())
                .append(':')
                .append(b64.encodeToString(e.salt()))
                .append(':')
                .append(b64.encodeToString(e.saltedPassword()))
                .append('\n'));
    return out.toString();
  }

  /** Writes the file atomically (a temporary file renamed over it), readable by its owner only. */
  public void save(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, ".passwd", ".tmp");
    try {
      try {
        Files.setPosixFilePermissions(
            tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: keep the default permissions
      }
      Files.writeString(tmp, format(), StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The user names, in file order. */
  public Set<String> users() {
    return users.keySet();
  }

  /** The stored secret of {@code user}, or {@code null}. */
  public Entry entry(String user) {
    return users.get(user);
  }

  /** A copy with {@code user}'s password set (added or replaced), hashed with a fresh salt. */
  public PasswordFile with(String user, char[] password, int iterations) {
    checkUserName(user);
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    Map<String, Entry> copy = new LinkedHashMap<>(users);
    copy.put(user, new Entry(iterations, salt, hash(password, salt, iterations)));
    return new PasswordFile(copy);
  }

  /** A copy without {@code user}. */
  public PasswordFile without(String user) {
    Map<String, Entry> copy = new LinkedHashMap<>(users);
    copy.remove(user);
    return new PasswordFile(copy);
  }

  /** Whether {@code password} is {@code user}'s. Slow (PBKDF2); constant-time comparison. */
  public boolean verify(String user, char[] password) {
    Entry e = users.get(user);
    if (e == null) {
      return false;
    }
    return MessageDigest.isEqual(e.saltedPassword(), hash(password, e.salt(), e.iterations()));
  }

  /** PBKDF2-HMAC-SHA512 with a 64-byte key: SCRAM-SHA-512's SaltedPassword. */
  public static byte[] hash(char[] password, byte[] salt, int iterations) {
    PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, HASH_BYTES * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA512 is missing from this JDK", e);
    } finally {
      spec.clearPassword();
    }
  }

  /** Refuses user names the file format cannot hold. */
  public static void checkUserName(String user) {
    if (user == null || user.isEmpty()) {
      throw new IllegalArgumentException("the user name must not be empty");
    }
    if (user.indexOf(':') >= 0 || user.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(
          "the user name must not contain ':' or control characters");
    }
  }

  @Override
  public String toString() {
    return "PasswordFile" + Arrays.toString(users.keySet().toArray());
  }
}
