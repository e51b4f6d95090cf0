package io.starling.broker.security;

import io.starling.broker.config.SecurityConfig;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code file} authenticator: user names and PBKDF2 hashes from {@code security.password_file}.
 * A user not in the file is left to the next authenticator; a known user with a wrong password is
 * refused.
 *
 * <p>PBKDF2 is slow by design, so a successful check is remembered for {@code
 * security.auth_cache_seconds} under an HMAC (with a key made at start and never stored) of the
 * user name and the password: a reconnect storm with the right password costs one hash, and a wrong
 * password can never hit the cache because its key differs. The cache is read by {@link
 * #quickAnswer} before a login is queued for the authentication threads, so a cached login never
 * waits behind other logins' hashes. The cache is emptied when the file changes.
 *
 * <p>A user not in the file costs a hash too when the chain ends up refusing the login ({@link
 * #hashForUnknownUser}, called by the chain), against a made-up salt at the file's usual iteration
 * count: a refusal takes as long for a user name that does not exist as for a wrong password, so
 * timing does not tell which users exist.
 */
public final class FileAuthenticator implements Authenticator {
  private static final Logger log = LoggerFactory.getLogger(FileAuthenticator.class);
  private static final int MAX_CACHED = 10_000;

  /** PBKDF2-HMAC-SHA512: {@link PasswordFile#hash}, or a test's counting stand-in. */
  @FunctionalInterface
  interface Pbkdf2 {
    byte[] hash(char[] password, byte[] salt, int iterations);
  }

  private final Path path;
  private final Pbkdf2 pbkdf2;
  private final byte[] unknownUserSalt = new byte[16];
  private final long cacheNanos;
  private final byte[] cacheKey = new byte[32];
  private final Map<String, Long> verified = new ConcurrentHashMap<>();
  private volatile PasswordFile file;

  /** Registers the authenticator under the name {@code file}. */
  public static final class Provider implements AuthenticatorProvider {
    @Override
    public String name() {
      return "file";
    }

    @Override
    public Authenticator create(SecurityConfig security, Map<String, String> options)
        throws Exception {
      return new FileAuthenticator(security.passwordFile(), security.authCacheSeconds());
    }
  }

  public FileAuthenticator(Path path, int cacheSeconds) throws java.io.IOException {
    this(path, cacheSeconds, PasswordFile::hash);
  }

  FileAuthenticator(Path path, int cacheSeconds, Pbkdf2 pbkdf2) throws java.io.IOException {
    this.path = path;
    this.pbkdf2 = pbkdf2;
    this.cacheNanos = TimeUnit.SECONDS.toNanos(cacheSeconds);
    SecureRandom random = new SecureRandom();
    random.nextBytes(cacheKey);
    random.nextBytes(unknownUserSalt);
    try {
      this.file = loaded(PasswordFile.load(path));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new java.io.IOException(
          "security.password_file: "
              + path
              + " does not exist (create it with: starling passwd -c "
              + path
              + " USER)",
          e);
    } catch (java.io.IOException e) {
      throw new java.io.IOException("security.password_file: " + e.getMessage(), e);
    }
  }

  private PasswordFile loaded(PasswordFile f) {
    if (!f.legacyUsers().isEmpty()) {
      log.warn(
          "password file {}: {} user(s) stored in the old {} form, which is as good as the password"
              + " for SCRAM; any `starling passwd` change to the file rewrites them",
          path,
          f.legacyUsers().size(),
          PasswordFile.LEGACY_SCHEME);
    }
    return f;
  }

  /**
   * A user of the file whose user name and password were checked within {@code
   * security.auth_cache_seconds}: let in at once, on the calling thread. Anyone else: {@code null}
   * (the login goes to the authentication threads). Costs one HMAC-SHA256.
   */
  @Override
  public AuthResult quickAnswer(AuthRequest request) {
    String user = request.username();
    if (user == null || request.password() == null || file.entry(user) == null) {
      return null;
    }
    return isCached(cacheKeyOf(user, request.password()), System.nanoTime())
        ? AuthResult.allow(user)
        : null;
  }

  private boolean isCached(String key, long now) {
    Long until = verified.get(key);
    return until != null && until - now > 0;
  }

  @Override
  public AuthResult authenticate(AuthRequest request) {
    String user = request.username();
    PasswordFile f = file;
    PasswordFile.Entry entry = user == null ? null : f.entry(user);
    if (entry == null) {
      return AuthResult.CONTINUE;
    }
    if (request.password() == null) {
      return AuthResult.BAD_CREDENTIALS;
    }
    String key = cacheKeyOf(user, request.password());
    long now = System.nanoTime();
    if (isCached(key, now)) {
      return AuthResult.allow(user);
    }
    char[] password = decode(request.password());
    try {
      if (!entry.matches(pbkdf2.hash(password, entry.salt(), entry.iterations()))) {
        return AuthResult.BAD_CREDENTIALS;
      }
    } finally {
      Arrays.fill(password, '\0');
    }
    if (cacheNanos > 0) {
      if (verified.size() >= MAX_CACHED) {
        verified.clear();
      }
      verified.put(key, now + cacheNanos);
    }
    return AuthResult.allow(user);
  }

  /**
   * Spends on a login this file passed on (its user name is not in the file) the hash a known user
   * costs, when the chain refuses the login in the end: PBKDF2 of the password with a made-up salt
   * at the file's usual iteration count, and the result thrown away.
   */
  void hashForUnknownUser(AuthRequest request) {
    if (request.username() == null || request.password() == null) {
      return; // a known user without a password is refused without a hash too
    }
    char[] password = decode(request.password());
    try {
      pbkdf2.hash(password, unknownUserSalt, file.typicalIterations());
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  private String cacheKeyOf(String user, byte[] password) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(cacheKey, "HmacSHA256"));
      mac.update(user.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      return Base64.getEncoder().encodeToString(mac.doFinal(password));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }

  private static char[] decode(byte[] utf8) {
    CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(utf8));
    char[] out = new char[chars.remaining()];
    chars.get(out);
    if (chars.hasArray()) {
      Arrays.fill(chars.array(), '\0');
    }
    return out;
  }

  /** The password file in force now. Any thread. */
  public PasswordFile passwords() {
    return file;
  }

  @Override
  public void reload() throws java.io.IOException {
    PasswordFile fresh = loaded(PasswordFile.load(path));
    file = fresh;
    verified.clear();
    log.info("password file {} reloaded: {} users", path, fresh.users().size());
  }
}
