package io.starling.it;

import io.starling.cli.CertificateGenerator;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Certificates and client-side TLS contexts for the TLS and WebSocket tests. */
final class TlsSupport {
  private static final char[] PASSWORD = "changeit".toCharArray();

  private TlsSupport() {}

  /** A fresh CA, server and client certificate in {@code dir}, as {@code starling cert} makes. */
  static CertificateGenerator.Files certificates(Path dir, String clientName) {
    try {
      return CertificateGenerator.write(dir, clientName, 30, true);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Trusts the CA in {@code caPem}. */
  static TrustManagerFactory trust(Path caPem) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    int i = 0;
    for (Certificate c : certs(caPem)) {
      ks.setCertificateEntry("ca" + i++, c);
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    return tmf;
  }

  /** Presents {@code certPem} with the PKCS#8 EC key in {@code keyPem}. */
  static KeyManagerFactory identity(Path certPem, Path keyPem) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("me", privateKey(keyPem), PASSWORD, certs(certPem).toArray(new Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, PASSWORD);
    return kmf;
  }

  /**
   * A client context trusting {@code caPem}, presenting a certificate when {@code certPem} is set.
   */
  static SSLContext clientContext(Path caPem, Path certPem, Path keyPem) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(
        certPem == null ? null : identity(certPem, keyPem).getKeyManagers(),
        trust(caPem).getTrustManagers(),
        null);
    return ctx;
  }

  private static java.util.Collection<? extends Certificate> certs(Path pem) throws Exception {
    return CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem)));
  }

  private static PrivateKey privateKey(Path pem) throws Exception {
    String text = Files.readString(pem, StandardCharsets.US_ASCII);
    String base64 =
        text.replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    return KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }
}
