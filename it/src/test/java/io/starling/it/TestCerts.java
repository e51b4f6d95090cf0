package io.starling.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A throwaway certificate authority, a server certificate for 127.0.0.1/localhost and a client
 * certificate, made with the {@code openssl} command line in a temporary directory (PEM; keys in
 * PKCS#8, as Netty wants them).
 *
 * @param dir where the files are
 */
record TestCerts(Path dir) {
  static TestCerts generate() throws IOException, InterruptedException {
    Path d = Files.createTempDirectory("certs");
    d.toFile().setReadable(true, false);
    d.toFile().setExecutable(true, false);
    Files.writeString(
        d.resolve("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        StandardCharsets.US_ASCII);
    String days = "2";
    Mosquitto.run(
        d,
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        days,
        "-subj",
        "/CN=Starling Test CA");
    for (String who : new String[] {"server", "client"}) {
      Mosquitto.run(
          d,
          "openssl",
          "req",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          who + ".key",
          "-out",
          who + ".csr",
          "-subj",
          "/CN=" + who);
      Mosquitto.run(
          d,
          "openssl",
          "x509",
          "-req",
          "-in",
          who + ".csr",
          "-CA",
          "ca.pem",
          "-CAkey",
          "ca.key",
          "-CAcreateserial",
          "-out",
          who + ".pem",
          "-days",
          days,
          "-extfile",
          "san.ext");
    }
    for (String f :
        new String[] {"ca.pem", "server.pem", "server.key", "client.pem", "client.key"}) {
      d.resolve(f).toFile().setReadable(true, false);
    }
    return new TestCerts(d);
  }

  Path ca() {
    return dir.resolve("ca.pem");
  }

  Path serverCert() {
    return dir.resolve("server.pem");
  }

  Path serverKey() {
    return dir.resolve("server.key");
  }

  Path clientCert() {
    return dir.resolve("client.pem");
  }

  Path clientKey() {
    return dir.resolve("client.key");
  }
}
