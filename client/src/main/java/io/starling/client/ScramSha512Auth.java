package io.starling.client;

import io.starling.codec.ReasonCode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client side of SCRAM-SHA-512 (RFC 5802 with SHA-512, no channel binding) as an MQTT 5.0
 * enhanced authentication method: the password never crosses the wire, and the broker proves it
 * knows the password too. One instance per connection attempt.
 *
 * <pre>
 *   CONNECT  method=SCRAM-SHA-512 data="n,,n=USER,r=CLIENT-NONCE"
 *   AUTH 18  data="r=NONCE,s=SALT,i=ITERATIONS"           (from the broker)
 *   AUTH 18  data="c=biws,r=NONCE,p=PROOF"
 *   CONNACK  data="v=SERVER-SIGNATURE"                    (checked by {@link #succeeded})
 * </pre>
 */
public final class ScramSha512Auth implements EnhancedAuth {
  /** The method name brokers know this mechanism by. */
  public static final String METHOD = "SCRAM-SHA-512";

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String user;
  private final char[] password;
  private final String clientNonce;
  private String clientFirstBare;
  private String authMessage;
  private byte[] saltedPassword;

  /** Authenticates as {@code user}; the password array is copied. */
  public ScramSha512Auth(String user, char[] password) {
    this.user = user;
    this.password = password.clone();
    byte[] nonce = new byte[18];
    RANDOM.nextBytes(nonce);
    this.clientNonce = Base64.getEncoder().encodeToString(nonce);
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public byte[] initialData() {
    clientFirstBare = "n=" + user.replace("=", "=3D").replace(",", "=2C") + ",r=" + clientNonce;
    return utf8("n,," + clientFirstBare);
  }

  @Override
  public byte[] respond(byte[] challenge) {
    String serverFirst = new String(challenge, StandardCharsets.UTF_8);
    Map<String, String> a = attributes(serverFirst);
    String nonce = a.get("r");
    if (nonce == null || !nonce.startsWith(clientNonce) || a.get("s") == null) {
      throw refused("the broker's SCRAM challenge is malformed");
    }
    int iterations;
    try {
      iterations = Integer.parseInt(a.getOrDefault("i", ""));
    } catch (NumberFormatException e) {
      throw refused("the broker's SCRAM iteration count is not a number");
    }
    saltedPassword = pbkdf2(Base64.getDecoder().decode(a.get("s")), iterations);
    Arrays.fill(password, '\0');
    String withoutProof = "c=biws,r=" + nonce;
    authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
    byte[] clientKey = hmac(saltedPassword, "Client Key");
    byte[] signature = hmac(sha512(clientKey), authMessage);
    byte[] proof = new byte[clientKey.length];
    for (int i = 0; i < proof.length; i++) {
      proof[i] = (byte) (clientKey[i] ^ signature[i]);
    }
    return utf8(withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof));
  }

  /** Checks the broker's signature: a broker that does not know the password is refused. */
  @Override
  public void succeeded(byte[] serverData) {
    String expected =
        "v="
            + Base64.getEncoder()
                .encodeToString(hmac(hmac(saltedPassword, "Server Key"), authMessage));
    if (saltedPassword == null
        || !MessageDigest.isEqual(utf8(expected), serverData == null ? new byte[0] : serverData)) {
      throw refused("the broker could not prove it knows the password");
    }
  }

  private static MqttClientException refused(String why) {
    return new MqttClientException(why, ReasonCode.NOT_AUTHORIZED, why);
  }

  private static Map<String, String> attributes(String message) {
    Map<String, String> out = new HashMap<>();
    for (String part : message.split(",")) {
      if (part.length() >= 2 && part.charAt(1) == '=') {
        out.put(part.substring(0, 1), part.substring(2));
      }
    }
    return out;
  }

  private byte[] pbkdf2(byte[] salt, int iterations) {
    PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, 512);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA512 is missing from this JDK", e);
    } finally {
      spec.clearPassword();
    }
  }

  private static byte[] hmac(byte[] key, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA512");
      mac.init(new SecretKeySpec(key, "HmacSHA512"));
      return mac.doFinal(utf8(text));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA512 is missing from this JDK", e);
    }
  }

  private static byte[] sha512(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-512").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-512 is missing from this JDK", e);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
