package io.starling.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
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

  /** A config with a tcp, a tls and a wss listener using the files just written. */
  private static String config(CertificateGenerator.Files f) {
    String tls =
        "    tls:\n"
            + "      cert_file: "
            + f.serverCert()
            + "\n      key_file: "
            + f.serverKey()
            + "\n";
    return "listeners:\n"
        + "  - kind: tcp\n"
        + "    port: 1883\n"
        + "  - kind: tls\n"
        + "    port: 8883\n"
        + tls
        + "      # mutual TLS: clients must show client.pem or another certificate of this CA\n"
        + "      # client_auth: require\n"
        + "      # ca_file: "
        + f.ca()
        + "\n"
        + "      # certificate_username: cn\n"
        + "  - kind: wss\n"
        + "    port: 8443\n"
        + tls;
  }

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
    String config = config(f);
    Path configFile = f.ca().resolveSibling("starling-tls.yaml");
    try {
      if (force || !java.nio.file.Files.exists(configFile)) {
        java.nio.file.Files.writeString(configFile, config, StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      err.println("starling: cannot write " + configFile + ": " + e.getMessage());
      return 1;
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        "Wrote "
            + String.join(", ", CertificateGenerator.FILES)
            + " and starling-tls.yaml to "
            + f.ca().getParent());
    out.println();
    out.println("Start a broker with tcp on 1883, tls on 8883 and wss on 8443:");
    out.println("  bin/starling broker --config " + configFile);
    out.println();
    out.println("or add these listeners to your config file:");
    out.println();
    out.print(config);
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
