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
 * password can never hit the cache because its key differs. The cache is emptied when the file
 * changes.
 */
public final class FileAuthenticator implements Authenticator {
  private static final Logger log = LoggerFactory.getLogger(FileAuthenticator.class);
  private static final int MAX_CACHED = 10_000;

  private final Path path;
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
    this.path = path;
    this.cacheNanos = TimeUnit.SECONDS.toNanos(cacheSeconds);
    new SecureRandom().nextBytes(cacheKey);
    try {
      this.file = PasswordFile.load(path);
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

  @Override
  public AuthResult authenticate(AuthRequest request) {
    String user = request.username();
    PasswordFile f = file;
    if (user == null || f.entry(user) == null) {
      return AuthResult.CONTINUE;
    }
    if (request.password() == null) {
      return AuthResult.BAD_CREDENTIALS;
    }
    String key = cacheKeyOf(user, request.password());
    Long until = verified.get(key);
    long now = System.nanoTime();
    if (until != null && until - now > 0) {
      return AuthResult.allow(user);
    }
    char[] password = decode(request.password());
    try {
      if (!f.verify(user, password)) {
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
    PasswordFile fresh = PasswordFile.load(path);
    file = fresh;
    verified.clear();
    log.info("password file {} reloaded: {} users", path, fresh.users().size());
  }
}
