package io.starling.broker.transport;

import io.starling.broker.config.TlsConfig.CertificateUsername;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/** Takes the MQTT user name from a verified client certificate. Pure functions. */
public final class CertificateUsernames {
  private static final int SAN_EMAIL = 1;
  private static final int SAN_DNS = 2;
  private static final int SAN_URI = 6;

  private CertificateUsernames() {}

  /**
   * The user name {@code field} names in {@code cert}: the subject's common name, or the first DNS
   * name, e-mail address or URI among the subject alternative names. Null when the certificate has
   * no such field.
   */
  public static String of(X509Certificate cert, CertificateUsername field) {
    return switch (field) {
      case NONE -> null;
      case CN -> commonName(cert.getSubjectX500Principal());
      case SAN -> firstAlternativeName(cert);
    };
  }

  static String commonName(X500Principal subject) {
    try {
      List<Rdn> rdns = new LdapName(subject.getName(X500Principal.RFC2253)).getRdns();
      // RFC 2253 lists the most specific part last in LdapName's order: take the last CN.
      for (int i = rdns.size() - 1; i >= 0; i--) {
        if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
          return rdns.get(i).getValue().toString();
        }
      }
      return null;
    } catch (InvalidNameException e) {
      return null;
    }
  }

  static String firstAlternativeName(X509Certificate cert) {
    Collection<List<?>> names;
    try {
      names = cert.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return null;
    }
    if (names == null) {
      return null;
    }
    for (List<?> entry : names) {
      int type = (Integer) entry.get(0);
      if ((type == SAN_DNS || type == SAN_EMAIL || type == SAN_URI)
          && entry.get(1) instanceof String s) {
        return s;
      }
    }
    return null;
  }
}
