package io.starling.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.starling.broker.config.SecurityConfig;
import io.starling.codec.MqttVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class JwtAuthenticatorTest {
  static final String SECRET = "0123456789abcdef0123456789abcdef-test-secret";
  static KeyPair rsa;
  static JwtAuthenticator jwt;

  @BeforeAll
  static void setUp(@TempDir Path dir) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    rsa = g.generateKeyPair();
    Path secret = Files.writeString(dir.resolve("secret"), SECRET + "\n", StandardCharsets.UTF_8);
    Path pem =
        Files.writeString(
            dir.resolve("pub.pem"),
            "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(rsa.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n",
            StandardCharsets.UTF_8);
    jwt =
        new JwtAuthenticator(
            new SecurityConfig.Jwt(
                secret, pem, "sub", "mqtt_publish", "mqtt_subscribe", "starling-test", null, 5));
  }

  static JWTClaimsSet.Builder claims(String user, long expiresInSeconds) {
    return new JWTClaimsSet.Builder()
        .subject(user)
        .issuer("starling-test")
        .expirationTime(new Date(System.currentTimeMillis() + expiresInSeconds * 1000));
  }

  static String hs256(JWTClaimsSet c, String secret) throws JOSEException {
    SignedJWT t = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), c);
    t.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
    return t.serialize();
  }

  static String rs256(JWTClaimsSet c) throws JOSEException {
    SignedJWT t = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), c);
    t.sign(new RSASSASigner(rsa.getPrivate()));
    return t.serialize();
  }

  private static AuthResult auth(String token) throws Exception {
    return jwt.authenticate(
        new AuthRequest(
            "c1",
            "ignored",
            token.getBytes(StandardCharsets.UTF_8),
            new InetSocketAddress("127.0.0.1", 1),
            null,
            MqttVersion.V3_1_1));
  }

  @Test
  void validHs256AndRs256TokensNameTheUserFromTheClaim() throws Exception {
    AuthResult h = auth(hs256(claims("alice", 60).build(), SECRET));
    assertThat(h.outcome()).isEqualTo(AuthResult.Outcome.ALLOW);
    assertThat(h.username()).isEqualTo("alice");
    assertThat(h.grants()).isNull();
    AuthResult r = auth(rs256(claims("bob", 60).build()));
    assertThat(r.username()).isEqualTo("bob");
  }

  @Test
  void aclClaimsBecomeGrants() throws Exception {
    JWTClaimsSet c =
        claims("dev", 60)
            .claim("mqtt_publish", List.of("devices/dev/#"))
            .claim("mqtt_subscribe", "commands/dev/#")
            .build();
    AuthResult r = auth(hs256(c, SECRET));
    assertThat(r.grants().publish()).containsExactly("devices/dev/#");
    assertThat(r.grants().subscribe()).containsExactly("commands/dev/#");
  }

  @Test
  void expiredWrongKeyWrongIssuerAndUnsignedTokensAreRefused() throws Exception {
    assertThat(auth(hs256(claims("a", -60).build(), SECRET)).outcome())
        .isEqualTo(AuthResult.Outcome.BAD_CREDENTIALS);
    assertThat(auth(hs256(claims("a", 60).build(), SECRET + "-other")).outcome())
        .isEqualTo(AuthResult.Outcome.BAD_CREDENTIALS);
    assertThat(auth(hs256(claims("a", 60).issuer("evil").build(), SECRET)).outcome())
        .isEqualTo(AuthResult.Outcome.BAD_CREDENTIALS);
    JWTClaimsSet noExp = new JWTClaimsSet.Builder().subject("a").issuer("starling-test").build();
    assertThat(auth(hs256(noExp, SECRET)).outcome()).isEqualTo(AuthResult.Outcome.BAD_CREDENTIALS);
    String unsigned = new PlainJWT(claims("a", 60).build()).serialize();
    assertThat(auth(unsigned).outcome()).isEqualTo(AuthResult.Outcome.BAD_CREDENTIALS);
  }

  @Test
  void aPasswordThatIsNoTokenIsLeftToTheNextAuthenticator() throws Exception {
    assertThat(auth("just a password").outcome()).isEqualTo(AuthResult.Outcome.CONTINUE);
  }

  @Test
  void aShortHmacSecretStopsStartUp(@TempDir Path dir) throws IOException {
    Path s = Files.writeString(dir.resolve("s"), "short", StandardCharsets.UTF_8);
    assertThatThrownBy(
            () ->
                new JwtAuthenticator(
                    new SecurityConfig.Jwt(s, null, "sub", null, null, null, null, 0)))
        .hasMessageContaining("hmac_secret_file");
  }
}
