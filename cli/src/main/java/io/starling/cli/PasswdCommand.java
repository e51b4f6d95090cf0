package io.starling.cli;

import io.starling.broker.security.PasswordFile;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code starling passwd}: manages a password file the way {@code mosquitto_passwd} does. The
 * password is read from the terminal (asked twice, not echoed) or, with {@code --stdin}, from the
 * first line of standard input; never from the command line, where other users could see it.
 */
@Command(
    name = "passwd",
    mixinStandardHelpOptions = true,
    description = {
      "Manage a Starling password file (security.password_file).",
      "  starling passwd -c FILE USER      create FILE (replacing it) with USER",
      "  starling passwd FILE USER         add USER or change their password",
      "  starling passwd -D FILE USER      delete USER",
      "  starling passwd --verify FILE USER  exit 0 if the password is right, 1 if not"
    },
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {"0:done (or password right)", "1:password wrong or user unknown", "2:error"})
final class PasswdCommand implements Callable<Integer> {
  @Option(
      names = {"-c", "--create"},
      description = "Create a new file, replacing any existing one.")
  boolean create;

  @Option(
      names = {"-D", "--delete"},
      description = "Delete the user.")
  boolean delete;

  @Option(names = "--verify", description = "Check a password; exit code 0 if right, 1 if not.")
  boolean verify;

  @Option(
      names = "--stdin",
      description = "Read the password from the first line of standard input (for scripts).")
  boolean stdin;

  @Option(
      names = "--iterations",
      paramLabel = "N",
      description = "PBKDF2-HMAC-SHA512 iterations for the new hash (default: ${DEFAULT-VALUE}).")
  int iterations = PasswordFile.DEFAULT_ITERATIONS;

  @Parameters(index = "0", paramLabel = "FILE", description = "The password file.")
  Path file;

  @Parameters(index = "1", paramLabel = "USER", description = "The user name.")
  String user;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter out = spec.commandLine().getOut();
    try {
      if ((create ? 1 : 0) + (delete ? 1 : 0) + (verify ? 1 : 0) > 1) {
        err.println("starling passwd: use only one of -c, -D and --verify");
        return 2;
      }
      if (iterations < 1000) {
        err.println("starling passwd: --iterations must be at least 1000");
        return 2;
      }
      PasswordFile.checkUserName(user);
      if (!create && !Files.exists(file)) {
        err.println("starling passwd: " + file + " does not exist (use -c to create it)");
        return 2;
      }
      PasswordFile passwords = create ? PasswordFile.empty() : PasswordFile.load(file);
      if (delete) {
        if (passwords.entry(user) == null) {
          err.println("starling passwd: no user '" + user + "' in " + file);
          return 1;
        }
        passwords.without(user).save(file);
        out.println("deleted user " + user);
        reportUpgrade(out, passwords.without(user));
        return 0;
      }
      char[] password = readPassword(!verify);
      try {
        if (verify) {
          boolean ok = passwords.verify(user, password);
          out.println(ok ? "password correct" : "password wrong or unknown user");
          return ok ? 0 : 1;
        }
        PasswordFile changed = passwords.with(user, password, iterations);
        changed.save(file);
        out.println((passwords.entry(user) == null ? "added user " : "updated user ") + user);
        reportUpgrade(out, changed);
        return 0;
      } finally {
        Arrays.fill(password, '\0');
      }
    } catch (IOException | IllegalArgumentException | IllegalStateException e) {
      err.println("starling passwd: " + e.getMessage());
      return 2;
    }
  }

  /**
   * Every write stores StoredKey and ServerKey; lines of the old form (the SaltedPassword, which is
   * as good as the password for SCRAM) that were read are rewritten, and the user is told so.
   */
  private void reportUpgrade(PrintWriter out, PasswordFile written) {
    int n = written.legacyUsers().size();
    if (n > 0) {
      out.println(
          "rewrote "
              + n
              + (n == 1 ? " user" : " users")
              + " of the old "
              + PasswordFile.LEGACY_SCHEME
              + " form as "
              + PasswordFile.SCHEME
              + " (StoredKey and ServerKey)");
    }
  }

  private char[] readPassword(boolean confirm) throws IOException {
    if (stdin) {
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line = in.readLine();
      if (line == null || line.isEmpty()) {
        throw new IOException("no password on standard input");
      }
      return line.toCharArray();
    }
    Console console = System.console();
    if (console == null) {
      throw new IOException("no terminal to ask for the password on; use --stdin");
    }
    char[] first = console.readPassword("Password: ");
    if (first == null || first.length == 0) {
      throw new IOException("empty password");
    }
    if (confirm) {
      char[] again = console.readPassword("Password again: ");
      boolean same = Arrays.equals(first, again);
      if (again != null) {
        Arrays.fill(again, '\0');
      }
      if (!same) {
        Arrays.fill(first, '\0');
        throw new IOException("the passwords differ");
      }
    }
    return first;
  }
}
