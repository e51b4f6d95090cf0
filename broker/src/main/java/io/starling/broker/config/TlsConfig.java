package io.starling.broker.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * TLS settings of a {@code tls} or {@code wss} listener.
 *
 * @param certFile PEM file with the server certificate first, then its intermediates
 * @param keyFile PEM file with the certificate's unencrypted private key (PKCS#8, "BEGIN PRIVATE
 *     KEY")
 * @param protocols the TLS versions offered, by JSSE name ({@code TLSv1.2}, {@code TLSv1.3})
 * @param ciphers the cipher suites offered, by IANA/JSSE name; empty means the engine's defaults
 * @param clientAuth whether clients are asked for a certificate
 * @param caFile PEM bundle of the certificate authorities client certificates must chain to; null
 *     when {@code clientAuth} is {@link ClientAuth#NONE}
 * @param certificateUsername which field of a verified client certificate becomes the MQTT user
 *     name
 * @param reloadIntervalSeconds how often the files are checked for changes; 0 never
 */
public record TlsConfig(
    Path certFile,
    Path keyFile,
    List<String> protocols,
    List<String> ciphers,
    ClientAuth clientAuth,
    Path caFile,
    CertificateUsername certificateUsername,
    int reloadIntervalSeconds) {

  /** TLS 1.3 and 1.2: the versions without known weaknesses. */
  public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /** The protocol names accepted in {@code protocols}. */
  public static final Set<String> KNOWN_PROTOCOLS =
      Set.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

  /** Seconds between checks of the certificate and key files by default. */
  public static final int DEFAULT_RELOAD_INTERVAL_SECONDS = 60;

  public TlsConfig {
    Objects.requireNonNull(certFile, "cert_file");
    Objects.requireNonNull(keyFile, "key_file");
    protocols = List.copyOf(protocols);
    ciphers = List.copyOf(ciphers);
    Objects.requireNonNull(clientAuth, "client_auth");
    Objects.requireNonNull(certificateUsername, "certificate_username");
    if (protocols.isEmpty()) {
      throw new IllegalArgumentException("protocols must name at least one TLS version");
    }
    for (String p : protocols) {
      if (!KNOWN_PROTOCOLS.contains(p)) {
        throw new IllegalArgumentException(
            "protocols: unknown TLS version '" + p + "' (known: TLSv1.2, TLSv1.3, TLSv1.1, TLSv1)");
      }
    }
    if (clientAuth != ClientAuth.NONE && caFile == null) {
      throw new IllegalArgumentException(
          "ca_file is needed when client_auth is " + clientAuth.configName());
    }
    if (certificateUsername != CertificateUsername.NONE && clientAuth == ClientAuth.NONE) {
      throw new IllegalArgumentException(
          "certificate_username needs client_auth request or require");
    }
    if (reloadIntervalSeconds < 0) {
      throw new IllegalArgumentException("reload_interval_seconds must be 0 or more");
    }
  }

  /** Server-only TLS with the default protocols, ciphers and reload interval. */
  public static TlsConfig server(Path certFile, Path keyFile) {
    return new TlsConfig(
        certFile,
        keyFile,
        DEFAULT_PROTOCOLS,
        List.of(),
        ClientAuth.NONE,
        null,
        CertificateUsername.NONE,
        DEFAULT_RELOAD_INTERVAL_SECONDS);
  }

  /** A copy that asks clients for a certificate issued by one of the CAs in {@code caFile}. */
  public TlsConfig withClientAuth(ClientAuth auth, Path caFile, CertificateUsername username) {
    return new TlsConfig(
        certFile, keyFile, protocols, ciphers, auth, caFile, username, reloadIntervalSeconds);
  }

  /** Whether clients are asked for a certificate. */
  public enum ClientAuth {
    /** No client certificate is asked for. */
    NONE,
    /** A client certificate is asked for; a client without one is let in, a bad one is refused. */
    REQUEST,
    /** A valid client certificate is required; the handshake fails without one. */
    REQUIRE;

    /** The name used in the config file. */
    public String configName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Which field of a verified client certificate becomes the connection's user name. */
  public enum CertificateUsername {
    /** None: the user name comes from CONNECT. */
    NONE,
    /** The common name (CN) of the certificate's subject. */
    CN,
    /** The first DNS name, e-mail address or URI among the subject alternative names. */
    SAN
  }
}
