package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class CertificateGeneratorTest {
  @TempDir Path dir;

  @Test
  void theServerAndClientCertificatesAreSignedByTheCaAndMatchTheirKeys() throws Exception {
    CertificateGenerator.Files f = CertificateGenerator.write(dir, "device-7", 10, false);
    X509Certificate ca = cert(f.ca());
    X509Certificate server = cert(f.serverCert());
    X509Certificate client = cert(f.clientCert());
    server.verify(ca.getPublicKey());
    client.verify(ca.getPublicKey());
    ca.verify(ca.getPublicKey());
    assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0); // a CA
    assertThat(server.getBasicConstraints()).isEqualTo(-1); // not a CA
    assertThat(server.getSubjectAlternativeNames())
        .containsExactlyInAnyOrder(List.of(2, "localhost"), List.of(7, "127.0.0.1"));
    assertThat(server.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1"); // serverAuth
    assertThat(client.getSubjectX500Principal().getName()).isEqualTo("CN=device-7");
    assertThat(client.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2"); // clientAuth
    assertMatches(key(f.serverKey()), server);
    assertMatches(key(f.clientKey()), client);
    assertThat(Files.readString(f.serverKey(), StandardCharsets.US_ASCII))
        .startsWith("-----BEGIN PRIVATE KEY-----\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f.serverKey())))
        .isEqualTo("rw-------");
  }

  @Test
  void existingFilesAreKeptUnlessOverwriteIsAsked() throws Exception {
    CertificateGenerator.write(dir, "a", 1, false);
    byte[] before = Files.readAllBytes(dir.resolve("ca.pem"));
    assertThatThrownBy(() -> CertificateGenerator.write(dir, "a", 1, false))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readAllBytes(dir.resolve("ca.pem"))).isEqualTo(before);
    CertificateGenerator.write(dir, "a", 1, true);
    assertThat(Files.readAllBytes(dir.resolve("ca.pem"))).isNotEqualTo(before);
  }

  @Test
  void aKeyNeverLandsInAFileSomeoneElseCouldAlreadyRead() throws Exception {
    CertificateGenerator.Files first = CertificateGenerator.write(dir, "a", 1, false);
    // Someone opened the world-readable file that will be replaced, and keeps it open ...
    Files.writeString(first.serverKey(), "", StandardCharsets.US_ASCII);
    Files.setPosixFilePermissions(first.serverKey(), PosixFilePermissions.fromString("rw-r--r--"));
    // ... and put a link to a file of theirs where the client key goes.
    Path theirs = Files.createFile(dir.getParent().resolve(dir.getFileName() + "-theirs"));
    Files.delete(first.clientKey());
    Files.createSymbolicLink(first.clientKey(), theirs);
    try (var held = Files.newInputStream(first.serverKey())) {
      CertificateGenerator.Files f = CertificateGenerator.write(dir, "a", 1, true);
      assertThat(new String(held.readAllBytes(), StandardCharsets.US_ASCII))
          .as("what the open file shows")
          .doesNotContain("PRIVATE KEY");
      assertThat(Files.readString(theirs, StandardCharsets.US_ASCII)).isEmpty();
      for (Path key : List.of(f.caKey(), f.serverKey(), f.clientKey())) {
        assertThat(Files.isSymbolicLink(key)).isFalse();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
            .isEqualTo("rw-------");
        assertThat(Files.readString(key, StandardCharsets.US_ASCII)).contains("PRIVATE KEY");
      }
    } finally {
      Files.deleteIfExists(theirs);
    }
  }

  private static void assertMatches(PrivateKey key, X509Certificate cert) throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(key);
    s.update(new byte[] {1, 2, 3});
    byte[] sig = s.sign();
    s.initVerify(cert.getPublicKey());
    s.update(new byte[] {1, 2, 3});
    assertThat(s.verify(sig)).isTrue();
  }

  private static X509Certificate cert(Path p) throws Exception {
    try (InputStream in = Files.newInputStream(p)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static PrivateKey key(Path p) throws Exception {
    String b64 =
        Files.readString(p, StandardCharsets.US_ASCII)
            .replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    return KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
  }
}
