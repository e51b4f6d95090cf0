package io.starling.broker.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.starling.broker.config.SecurityConfig;
import io.starling.broker.logging.LogText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code jwt} authenticator: the CONNECT password field carries a signed JSON Web Token (HS256
 * with a shared secret, or RS256 with an RSA public key; no other algorithm is accepted, so neither
 * {@code none} nor an algorithm switch can pass). The token must carry {@code exp}, which is
 * checked with {@code security.jwt.clock_skew_seconds} of tolerance, as are {@code nbf}, and {@code
 * iss} and {@code aud} when configured. The user name comes from {@code
 * security.jwt.username_claim} (the CONNECT user name is not used); the claims named by {@code
 * publish_claim} and {@code subscribe_claim}, lists of topic filters, replace the ACL file for the
 * client when the token carries either. A password that is not a JWT (not three dot-separated
 * parts) is left to the next authenticator, at once ({@link #quickAnswer}). A connection let in
 * with a token ends when the token expires ({@code exp} plus the clock skew tolerance).
 */
public final class JwtAuthenticator implements Authenticator {
  private static final Logger log = LoggerFactory.getLogger(JwtAuthenticator.class);

  private final SecurityConfig.Jwt config;
  private final JWSVerifier hmac;
  private final JWSVerifier rsa;

  /** Registers the authenticator under the name {@code jwt}. */
  public static final class Provider implements AuthenticatorProvider {
    @Override
    public String name() {
      return "jwt";
    }

    @Override
    public Authenticator create(SecurityConfig security, Map<String, String> options)
        throws Exception {
      return new JwtAuthenticator(security.jwt());
    }
  }

  public JwtAuthenticator(SecurityConfig.Jwt config) throws IOException {
    this.config = config;
    if (config.hmacSecretFile() == null && config.rsaPublicKeyFile() == null) {
      throw new IOException(
          "set security.jwt.hmac_secret_file or security.jwt.rsa_public_key_file (or both)");
    }
    try {
      this.hmac =
          config.hmacSecretFile() == null
              ? null
              : new MACVerifier(
                  Files.readString(config.hmacSecretFile(), StandardCharsets.UTF_8)
                      .strip()
                      .getBytes(StandardCharsets.UTF_8));
    } catch (JOSEException e) {
      throw new IOException(
          "security.jwt.hmac_secret_file: the secret must be at least 32 bytes", e);
    }
    this.rsa =
        config.rsaPublicKeyFile() == null
            ? null
            : new RSASSAVerifier(readRsaPublicKey(config.rsaPublicKeyFile()));
  }

  /** Reads a PEM {@code PUBLIC KEY} (X.509 SubjectPublicKeyInfo) holding an RSA key. */
  static RSAPublicKey readRsaPublicKey(java.nio.file.Path file) throws IOException {
    String pem = Files.readString(file, StandardCharsets.UTF_8);
    String body =
        pem.replace("-----BEGIN PUBLIC KEY-----", "")
            .replace("-----END PUBLIC KEY-----", "")
            .replaceAll("\\s", "");
    try {
      byte[] der = Base64.getDecoder().decode(body);
      return (RSAPublicKey)
          KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException(
          "security.jwt.rsa_public_key_file " + file + ": not a PEM RSA public key", e);
    }
  }

  /** A password that is no JWT is not this authenticator's: said at once; tokens wait. */
  @Override
  public AuthResult quickAnswer(AuthRequest request) {
    return isToken(request.password()) ? null : AuthResult.CONTINUE;
  }

  private static boolean isToken(byte[] password) {
    if (password == null) {
      return false;
    }
    int dots = 0;
    for (byte b : password) {
      dots += b == '.' ? 1 : 0;
    }
    return dots == 2;
  }

  @Override
  public AuthResult authenticate(AuthRequest request) {
    if (!isToken(request.password())) {
      return AuthResult.CONTINUE;
    }
    String token = new String(request.password(), StandardCharsets.UTF_8);
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
      JWSVerifier verifier =
          JWSAlgorithm.HS256.equals(alg) ? hmac : JWSAlgorithm.RS256.equals(alg) ? rsa : null;
      if (verifier == null || !jwt.verify(verifier)) {
        log.debug(
            "client {}: token signature refused ({})", LogText.untrusted(request.clientId()), alg);
        return AuthResult.BAD_CREDENTIALS;
      }
      return judge(jwt.getJWTClaimsSet(), request);
    } catch (ParseException | JOSEException e) {
      log.debug(
          "client {}: unreadable token: {}",
          LogText.untrusted(request.clientId()),
          LogText.untrusted(e.getMessage()));
      return AuthResult.BAD_CREDENTIALS;
    }
  }

  private AuthResult judge(JWTClaimsSet claims, AuthRequest request) throws ParseException {
    long now = System.currentTimeMillis();
    long skew = config.clockSkewSeconds() * 1000L;
    Date exp = claims.getExpirationTime();
    Date nbf = claims.getNotBeforeTime();
    if (exp == null || exp.getTime() + skew < now || (nbf != null && nbf.getTime() - skew > now)) {
      log.debug(
          "client {}: token expired, not yet valid or without exp",
          LogText.untrusted(request.clientId()));
      return AuthResult.BAD_CREDENTIALS;
    }
    if (config.issuer() != null && !config.issuer().equals(claims.getIssuer())) {
      return AuthResult.BAD_CREDENTIALS;
    }
    if (config.audience() != null
        && (claims.getAudience() == null || !claims.getAudience().contains(config.audience()))) {
      return AuthResult.BAD_CREDENTIALS;
    }
    String user = claims.getStringClaim(config.usernameClaim());
    if (user == null || user.isEmpty()) {
      return AuthResult.BAD_CREDENTIALS;
    }
    List<String> publish = list(claims, config.publishClaim());
    List<String> subscribe = list(claims, config.subscribeClaim());
    // The connection lasts as long as the token is accepted at CONNECT: exp plus the skew.
    Instant expires = Instant.ofEpochMilli(exp.getTime() + skew);
    if (publish == null && subscribe == null) {
      return AuthResult.allow(user).expiringAt(expires);
    }
    return AuthResult.allow(
            user,
            new AuthResult.TopicGrants(
                publish == null ? List.of() : publish, subscribe == null ? List.of() : subscribe))
        .expiringAt(expires);
  }

  private static List<String> list(JWTClaimsSet claims, String name) throws ParseException {
    if (name == null || claims.getClaim(name) == null) {
      return null;
    }
    Object value = claims.getClaim(name);
    if (value instanceof String s) {
      return List.of(s);
    }
    return claims.getStringListClaim(name);
  }
}
