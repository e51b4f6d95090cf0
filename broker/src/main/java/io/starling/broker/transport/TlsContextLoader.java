package io.starling.broker.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.starling.broker.config.BrokerStartException;
import io.starling.broker.config.TlsConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLEngine;

/**
 * Builds a listener's {@link SslContext} from its PEM files, and says exactly what is wrong with
 * them when it cannot: a missing or unreadable file, a file without a certificate or key, a key in
 * a format the JDK cannot read, a key that does not belong to the certificate, an unknown cipher.
 * Reads files: never call it on an event loop.
 */
public final class TlsContextLoader {
  private static final String PKCS8_BEGIN = "-----BEGIN PRIVATE KEY-----";
  private static final String PKCS8_END = "-----END PRIVATE KEY-----";

  private TlsContextLoader() {}

  /** OpenSSL (BoringSSL, from netty-tcnative) when its native library loads, else the JDK's. */
  public static SslProvider provider() {
    return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
  }

  /** The engine's name for logs: "OpenSSL (BoringSSL)" or "JDK". */
  public static String providerName() {
    return provider() == SslProvider.OPENSSL ? "OpenSSL (" + OpenSsl.versionString() + ")" : "JDK";
  }

  /**
   * Loads and checks the files and builds a server context.
   *
   * @param what how errors name the listener, e.g. {@code listener 'secure'}
   * @throws BrokerStartException with a one-line reason naming the key and the file
   */
  public static SslContext load(TlsConfig tls, String what) throws BrokerStartException {
    List<X509Certificate> chain = certificates(tls.certFile(), what + ": tls.cert_file");
    PrivateKey key = privateKey(tls.keyFile(), chain.get(0), what + ": tls.key_file");
    checkKeyMatches(key, chain.get(0), tls, what);
    SslContextBuilder b =
        SslContextBuilder.forServer(key, chain.toArray(new X509Certificate[0]))
            .sslProvider(provider())
            .protocols(tls.protocols());
    if (!tls.ciphers().isEmpty()) {
      b.ciphers(tls.ciphers());
    }
    if (tls.clientAuth() != TlsConfig.ClientAuth.NONE) {
      List<X509Certificate> cas = certificates(tls.caFile(), what + ": tls.ca_file");
      b.trustManager(cas.toArray(new X509Certificate[0]))
          .clientAuth(
              tls.clientAuth() == TlsConfig.ClientAuth.REQUIRE
                  ? ClientAuth.REQUIRE
                  : ClientAuth.OPTIONAL);
    }
    SslContext context;
    try {
      context = b.build();
      // Creating one engine finds what build() lets through: unknown ciphers or protocols.
      SSLEngine engine = context.newEngine(ByteBufAllocator.DEFAULT);
      try {
        if (engine.getEnabledCipherSuites().length == 0) {
          throw new IllegalArgumentException("no cipher suite of tls.ciphers is supported");
        }
      } finally {
        ReferenceCountUtil.release(engine);
      }
    } catch (RuntimeException | IOException e) {
      throw new BrokerStartException(
          what + ": cannot set up TLS (tls.protocols, tls.ciphers): " + e.getMessage(), e);
    }
    return context;
  }

  /** The certificates in a PEM file, in file order; at least one. */
  static List<X509Certificate> certificates(Path file, String key) throws BrokerStartException {
    byte[] bytes = read(file, key);
    List<X509Certificate> out = new ArrayList<>();
    try {
      for (Certificate c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(bytes))) {
        out.add((X509Certificate) c);
      }
    } catch (GeneralSecurityException e) {
      throw new BrokerStartException(
          key + " " + file + " is not a PEM certificate file: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new BrokerStartException(key + " " + file + " holds no PEM certificate", null);
    }
    return out;
  }

  /** The PKCS#8 private key in a PEM file, of the certificate's key type. */
  static PrivateKey privateKey(Path file, X509Certificate cert, String key)
      throws BrokerStartException {
    String text = new String(read(file, key), StandardCharsets.US_ASCII);
    int begin = text.indexOf(PKCS8_BEGIN);
    int end = text.indexOf(PKCS8_END);
    if (begin < 0 || end < begin) {
      String convert =
          "; convert it with: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pem";
      if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
        throw new BrokerStartException(
            key + " " + file + " is encrypted; Starling needs an unencrypted key" + convert, null);
      }
      if (text.contains(" PRIVATE KEY-----")) {
        throw new BrokerStartException(
            key + " " + file + " is not in PKCS#8 form (BEGIN PRIVATE KEY)" + convert, null);
      }
      throw new BrokerStartException(
          key + " " + file + " holds no PEM private key (BEGIN PRIVATE KEY)", null);
    }
    String base64 = text.substring(begin + PKCS8_BEGIN.length(), end).replaceAll("\\s", "");
    String algorithm = cert.getPublicKey().getAlgorithm();
    try {
      byte[] der = Base64.getDecoder().decode(base64);
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new BrokerStartException(
          key
              + " "
              + file
              + " is not a "
              + algorithm
              + " private key matching the certificate: "
              + e.getMessage(),
          e);
    }
  }

  /** Signs a random challenge with the key and checks it with the certificate's public key. */
  private static void checkKeyMatches(
      PrivateKey key, X509Certificate cert, TlsConfig tls, String what)
      throws BrokerStartException {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          case "Ed448" -> "Ed448";
          default -> null; // other types: the handshake is the check
        };
    if (algorithm == null) {
      return;
    }
    boolean matches;
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(challenge);
      matches = verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      matches = false;
    }
    if (!matches) {
      throw new BrokerStartException(
          what
              + ": tls.key_file "
              + tls.keyFile()
              + " does not match the certificate in tls.cert_file "
              + tls.certFile(),
          null);
    }
  }

  private static byte[] read(Path file, String key) throws BrokerStartException {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new BrokerStartException(key + " " + file + " cannot be read: " + describe(e), e);
    }
  }

  private static String describe(IOException e) {
    String type = e.getClass().getSimpleName();
    return switch (type) {
      case "NoSuchFileException" -> "no such file";
      case "AccessDeniedException" -> "permission denied";
      default -> e.getMessage() != null ? e.getMessage() : type;
    };
  }
}
