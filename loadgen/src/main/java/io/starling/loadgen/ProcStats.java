package io.starling.loadgen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time and resident memory of another process, read from Linux's /proc. */
final class ProcStats {
  /** Clock ticks per second of /proc/PID/stat; 100 on every Linux we run on. */
  private static final long TICKS_PER_SECOND = 100;

  private ProcStats() {}

  /** User plus system CPU time of {@code pid} in nanoseconds, or -1. */
  static long cpuNanos(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
      // Fields after the command name in parentheses; utime and stime are fields 14 and 15.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return ticks * 1_000_000_000L / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Resident set size of {@code pid} in KiB, or -1. */
  static long rssKiB(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      for (String line :
          Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.US_ASCII)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
      return -1;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
