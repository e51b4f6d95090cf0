package io.starling.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code starling cert DIR}: a CA, server and client certificate for trying TLS locally. */
@Command(
    name = "cert",
    mixinStandardHelpOptions = true,
    description = {
      "Write a self-signed CA, a server certificate (localhost, 127.0.0.1) and a client"
          + " certificate with their keys as PEM files, and print the listener config to use them.",
      "For local testing only."
    })
final class CertCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DIR", description = "Directory to write the files to.")
  Path dir;

  @Option(
      names = "--client-name",
      paramLabel = "NAME",
      defaultValue = "client",
      description =
          "Common name (and DNS name) of the client certificate (default: ${DEFAULT-VALUE}).")
  String clientName;

  @Option(
      names = "--days",
      paramLabel = "N",
      defaultValue = "365",
      description = "Days the certificates are valid (default: ${DEFAULT-VALUE}).")
  int days;

  @Option(names = "--force", description = "Replace files that already exist.")
  boolean force;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    if (days < 1) {
      err.println("starling: --days must be at least 1, not " + days);
      return 2;
    }
    if (clientName.isBlank() || clientName.contains(",") || clientName.contains("=")) {
      err.println("starling: --client-name must be a plain name, not '" + clientName + "'");
      return 2;
    }
    CertificateGenerator.Files f;
    try {
      f = CertificateGenerator.write(dir.toAbsolutePath().normalize(), clientName, days, force);
    } catch (FileAlreadyExistsException e) {
      err.println("starling: " + e.getMessage() + " exists; use --force to replace it");
      return 1;
    } catch (IOException | GeneralSecurityException e) {
      err.println("starling: cannot write the certificates to " + dir + ": " + e.getMessage());
      return 1;
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        "Wrote " + String.join(", ", CertificateGenerator.FILES) + " to " + f.ca().getParent());
    out.println();
    out.println("Add to the broker's config file (under listeners:):");
    out.println();
    out.println("  - kind: tls");
    out.println("    port: 8883");
    out.println("    tls:");
    out.println("      cert_file: " + f.serverCert());
    out.println("      key_file: " + f.serverKey());
    out.println(
        "      # for mutual TLS (clients must show client.pem or another cert of this CA):");
    out.println("      # client_auth: require");
    out.println("      # ca_file: " + f.ca());
    out.println("      # certificate_username: cn");
    out.println();
    out.println("Then, for example:");
    out.println("  mosquitto_sub -h localhost -p 8883 --cafile " + f.ca() + " -t 'test/#' -v");
    out.println(
        "  mosquitto_pub -h localhost -p 8883 --cafile "
            + f.ca()
            + " --cert "
            + f.clientCert()
            + " --key "
            + f.clientKey()
            + " -t test/x -m hello");
    out.flush();
    return 0;
  }
}
