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
 * user:scram-sha-512:ITERATIONS:base64(salt):base64(StoredKey):base64(ServerKey)}. The keys are
 * those of SCRAM-SHA-512 (RFC 5802 section 3, with SHA-512 as RFC 7677 does for SHA-256):
 *
 * <pre>
 *   SaltedPassword = PBKDF2-HMAC-SHA512(password, salt, ITERATIONS), 64 bytes  (never stored)
 *   StoredKey      = SHA-512(HMAC(SaltedPassword, "Client Key"))
 *   ServerKey      = HMAC(SaltedPassword, "Server Key")
 * </pre>
 *
 * Neither key lets anyone log in: a SCRAM proof needs the ClientKey, which StoredKey hides behind a
 * hash, and a CONNECT password is checked by deriving StoredKey from it. The same file serves
 * {@link ScramSha512Server} and plain passwords. Lines starting with {@code #} and blank lines are
 * ignored. Plain-text passwords are never stored.
 *
 * <p>Files of earlier versions stored the SaltedPassword itself ({@code
 * user:pbkdf2-sha512:ITERATIONS:base64(salt):base64(SaltedPassword)}), which is password-equivalent
 * for SCRAM. Such lines are still read (their keys are derived at load) and every line is written
 * in the new form, so the next {@link #save} ({@code starling passwd}) upgrades the whole file.
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
  public static final String SCHEME = "scram-sha-512";

  /** The scheme of files written before StoredKey and ServerKey: the SaltedPassword itself. */
  public static final String LEGACY_SCHEME = "pbkdf2-sha512";

  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 64;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, Entry> users;

  /** Users whose line is in the old, password-equivalent form. */
  private final Set<String> legacyUsers;

  private final int typicalIterations;

  /**
   * One user's stored secret.
   *
   * @param iterations PBKDF2 iterations
   * @param salt the random salt
   * @param storedKey SHA-512(HMAC-SHA512(SaltedPassword, "Client Key")), 64 bytes
   * @param serverKey HMAC-SHA512(SaltedPassword, "Server Key"), 64 bytes
   */
  public record Entry(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) {
    /** The keys of a user whose SCRAM SaltedPassword is {@code saltedPassword}. */
    public static Entry of(int iterations, byte[] salt, byte[] saltedPassword) {
      return new Entry(
          iterations,
          salt,
          ScramSha512Server.sha512(ScramSha512Server.hmac(saltedPassword, "Client Key")),
          ScramSha512Server.hmac(saltedPassword, "Server Key"));
    }

    /**
     * Whether {@code saltedPassword} (PBKDF2 of a password with this entry's salt and iterations)
     * is this user's: its StoredKey is compared, in constant time.
     */
    public boolean matches(byte[] saltedPassword) {
      byte[] candidate =
          ScramSha512Server.sha512(ScramSha512Server.hmac(saltedPassword, "Client Key"));
      return MessageDigest.isEqual(storedKey, candidate);
    }
  }

  private PasswordFile(Map<String, Entry> users, Set<String> legacyUsers) {
    this.users = Collections.unmodifiableMap(users);
    this.legacyUsers = Set.copyOf(legacyUsers);
    this.typicalIterations = typicalIterationsOf(users);
  }

  /** An empty file. */
  public static PasswordFile empty() {
    return new PasswordFile(new LinkedHashMap<>(), Set.of());
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
    Set<String> legacy = new java.util.HashSet<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split(":", -1);
      String where = source + ":" + (i + 1) + ": ";
      boolean current = f.length == 6 && f[1].equals(SCHEME);
      boolean old = f.length == 5 && f[1].equals(LEGACY_SCHEME);
      if (f[0].isEmpty() || !current && !old) {
        throw new IOException(
            where + "expected user:" + SCHEME + ":iterations:salt:stored-key:server-key");
      }
      try {
        int iterations = Integer.parseInt(f[2]);
        byte[] salt = Base64.getDecoder().decode(f[3]);
        byte[] first = Base64.getDecoder().decode(f[4]);
        byte[] second = current ? Base64.getDecoder().decode(f[5]) : first;
        if (iterations < 1
            || salt.length == 0
            || first.length != HASH_BYTES
            || second.length != HASH_BYTES) {
          throw new IllegalArgumentException("bad iterations, salt or key length");
        }
        if (current) {
          users.put(f[0], new Entry(iterations, salt, first, second));
          legacy.remove(f[0]);
        } else {
          users.put(f[0], Entry.of(iterations, salt, first));
          legacy.add(f[0]);
        }
      } catch (IllegalArgumentException e) {
        throw new IOException(where + "user '" + f[0] + "': " + e.getMessage(), e);
      }
    }
    return new PasswordFile(users, legacy);
  }

  /**
   * The users whose line was read in the old {@value #LEGACY_SCHEME} form, which holds a
   * password-equivalent secret; {@link #save} rewrites them in the new form.
   */
  public Set<String> legacyUsers() {
    return legacyUsers;
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
                .append(b64.encodeToString(e.storedKey()))
                .append(':')
                .append(b64.encodeToString(e.serverKey()))
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
    copy.put(user, Entry.of(iterations, salt, hash(password, salt, iterations)));
    return new PasswordFile(copy, withoutUser(legacyUsers, user));
  }

  /** A copy without {@code user}. */
  public PasswordFile without(String user) {
    Map<String, Entry> copy = new LinkedHashMap<>(users);
    copy.remove(user);
    return new PasswordFile(copy, withoutUser(legacyUsers, user));
  }

  /**
   * Whether {@code password} is {@code user}'s: PBKDF2 gives the SaltedPassword, from which the
   * StoredKey is derived and compared in constant time. Slow (PBKDF2).
   */
  public boolean verify(String user, char[] password) {
    Entry e = users.get(user);
    if (e == null) {
      return false;
    }
    return e.matches(hash(password, e.salt(), e.iterations()));
  }

  /**
   * The iteration count most users have (the highest of the most common ones), or {@link
   * #DEFAULT_ITERATIONS} for an empty file: what a check for an unknown user costs, so that it
   * takes as long as one for a known user.
   */
  public int typicalIterations() {
    return typicalIterations;
  }

  private static int typicalIterationsOf(Map<String, Entry> users) {
    Map<Integer, Integer> counts = new java.util.HashMap<>();
    int best = DEFAULT_ITERATIONS;
    int bestCount = 0;
    for (Entry e : users.values()) {
      int n = counts.merge(e.iterations(), 1, Integer::sum);
      if (n > bestCount || n == bestCount && e.iterations() > best) {
        best = e.iterations();
        bestCount = n;
      }
    }
    return best;
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

  private static Set<String> withoutUser(Set<String> users, String user) {
    Set<String> out = new java.util.HashSet<>(users);
    out.remove(user);
    return out;
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
