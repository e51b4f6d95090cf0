package io.starling.cli;

import java.util.concurrent.CompletionException;
import picocli.CommandLine;

/** One-line error reports of {@code pub} and {@code sub}. */
final class Errors {
  private Errors() {}

  /** Prints a bad flag in one line and returns exit code 2, as picocli does for its own. */
  static int usage(CommandLine cmd, String command, String message) {
    cmd.getErr().println("starling " + command + ": " + message);
    cmd.getErr().println("Try 'starling " + command + " --help' for the flags.");
    cmd.getErr().flush();
    return 2;
  }

  /** Prints {@code starling <command>: <what failed>} and returns exit code 1. */
  static int report(CommandLine cmd, String command, Throwable e) {
    Throwable t = e;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    cmd.getErr().println("starling " + command + ": " + t.getMessage());
    cmd.getErr().flush();
    return 1;
  }
}
