package io.starling.cli;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Makes a throwaway certificate authority, a server certificate (for {@code localhost} and {@code
 * 127.0.0.1}) and a client certificate, with EC P-256 keys, as PEM files ready for a {@code tls}
 * listener. For local testing only: the CA's key lies next to the certificates.
 */
public final class CertificateGenerator {
  /** The files written, in the order written. */
  public static final List<String> FILES =
      List.of(
          "ca.pem", "ca-key.pem", "server.pem", "server-key.pem", "client.pem", "client-key.pem");

  private static final SecureRandom RANDOM = new SecureRandom();

  private CertificateGenerator() {}

  /**
   * The files written by {@link #write}.
   *
   * @param ca the CA certificate, for {@code tls.ca_file} and clients' trust stores
   * @param serverCert the server certificate, for {@code tls.cert_file}
   * @param serverKey its PKCS#8 key, for {@code tls.key_file}
   * @param clientCert a client certificate issued by the CA
   * @param clientKey its PKCS#8 key
   */
  public record Files(
      Path ca, Path caKey, Path serverCert, Path serverKey, Path clientCert, Path clientKey) {}

  /**
   * Writes the six files into {@code dir} (created if missing).
   *
   * @param clientName the client certificate's common name and DNS alternative name
   * @param days how long the certificates are valid
   * @param overwrite whether existing files may be replaced
   * @throws FileAlreadyExistsException if a file exists and {@code overwrite} is false
   */
  public static Files write(Path dir, String clientName, int days, boolean overwrite)
      throws IOException, GeneralSecurityException {
    java.nio.file.Files.createDirectories(dir);
    if (!overwrite) {
      for (String f : FILES) {
        if (java.nio.file.Files.exists(dir.resolve(f))) {
          throw new FileAlreadyExistsException(dir.resolve(f).toString());
        }
      }
    }
    Instant now = Instant.now();
    Instant until = now.plus(Duration.ofDays(days));
    KeyPair caKeys = ecKeys();
    X500Name caName = new X500Name("CN=Starling test CA " + now.getEpochSecond());
    X509Certificate ca;
    X509Certificate server;
    X509Certificate client;
    KeyPair serverKeys = ecKeys();
    KeyPair clientKeys = ecKeys();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = builder(caName, caName, caKeys, now, until);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          ext.createSubjectKeyIdentifier(caKeys.getPublic()));
      ca = sign(b, caKeys);

      server =
          leaf(
              ca,
              caKeys,
              serverKeys,
              "localhost",
              KeyPurposeId.id_kp_serverAuth,
              new GeneralNames(
                  new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1")
                  }),
              now,
              until);
      client =
          leaf(
              ca,
              caKeys,
              clientKeys,
              clientName,
              KeyPurposeId.id_kp_clientAuth,
              new GeneralNames(new GeneralName(GeneralName.dNSName, clientName)),
              now,
              until);
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
    Files out =
        new Files(
            dir.resolve("ca.pem"),
            dir.resolve("ca-key.pem"),
            dir.resolve("server.pem"),
            dir.resolve("server-key.pem"),
            dir.resolve("client.pem"),
            dir.resolve("client-key.pem"));
    writePem(out.ca(), "CERTIFICATE", ca.getEncoded(), false);
    writePem(out.caKey(), "PRIVATE KEY", caKeys.getPrivate().getEncoded(), true);
    writePem(out.serverCert(), "CERTIFICATE", server.getEncoded(), false);
    writePem(out.serverKey(), "PRIVATE KEY", serverKeys.getPrivate().getEncoded(), true);
    writePem(out.clientCert(), "CERTIFICATE", client.getEncoded(), false);
    writePem(out.clientKey(), "PRIVATE KEY", clientKeys.getPrivate().getEncoded(), true);
    return out;
  }

  private static X509Certificate leaf(
      X509Certificate ca,
      KeyPair caKeys,
      KeyPair keys,
      String commonName,
      KeyPurposeId purpose,
      GeneralNames altNames,
      Instant from,
      Instant until)
      throws IOException, GeneralSecurityException, OperatorCreationException {
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    X500Name issuer = X500Name.getInstance(ca.getSubjectX500Principal().getEncoded());
    X509v3CertificateBuilder b =
        builder(issuer, new X500Name("CN=" + commonName), keys, from, until);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
    b.addExtension(Extension.subjectAlternativeName, false, altNames);
    b.addExtension(
        Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
    b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
    return sign(b, caKeys);
  }

  private static X509v3CertificateBuilder builder(
      X500Name issuer, X500Name subject, KeyPair keys, Instant from, Instant until) {
    return new JcaX509v3CertificateBuilder(
        issuer,
        new BigInteger(64, RANDOM).add(BigInteger.ONE),
        // An hour back, so that a client whose clock is a little behind accepts it.
        Date.from(from.minus(Duration.ofHours(1))),
        Date.from(until),
        subject,
        keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair issuerKeys)
      throws GeneralSecurityException, OperatorCreationException {
    var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate());
    return new JcaX509CertificateConverter().getCertificate(b.build(signer));
  }

  private static KeyPair ecKeys() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static void writePem(Path file, String type, byte[] der, boolean secret)
      throws IOException {
    String pem =
        "-----BEGIN "
            + type
            + "-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
            + "\n-----END "
            + type
            + "-----\n";
    if (!secret) {
      java.nio.file.Files.writeString(file, pem, StandardCharsets.US_ASCII);
      return;
    }
    // A private key is written to a file that is its owner's alone from the moment it exists:
    // created new (never an existing file or link someone else may hold open), 0600 at creation
    // rather than chmod-ed after being written with the umask's permissions.
    java.nio.file.Files.deleteIfExists(file); // only reached when overwriting was asked for
    boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
    FileAttribute<?>[] ownerOnly =
        posix
            ? new FileAttribute<?>[] {
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
            }
            : new FileAttribute<?>[0];
    try (SeekableByteChannel out =
        java.nio.file.Files.newByteChannel(
            file, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), ownerOnly)) {
      ByteBuffer bytes = ByteBuffer.wrap(pem.getBytes(StandardCharsets.US_ASCII));
      while (bytes.hasRemaining()) {
        out.write(bytes);
      }
    }
  }
}
