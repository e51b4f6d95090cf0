package io.starling.loadgen;

import java.lang.management.ManagementFactory;

/** Process CPU time of this tool and of the broker, and the broker's resident memory. */
record CpuSample(long wallNanos, long toolNanos, long brokerNanos, long brokerRssKiB) {
  /**
   * @param brokerPid the broker's process id; 0 if unknown, which makes its figures -1
   */
  static CpuSample take(long brokerPid) {
    long tool =
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime();
    return new CpuSample(
        System.nanoTime(), tool, ProcStats.cpuNanos(brokerPid), ProcStats.rssKiB(brokerPid));
  }

  /** The tool's CPU use from this sample to {@code later}, in percent of one core, or -1. */
  double toolPercentUntil(CpuSample later) {
    return percent(toolNanos, later.toolNanos, wallNanos, later.wallNanos);
  }

  /** The broker's CPU use from this sample to {@code later}, in percent of one core, or -1. */
  double brokerPercentUntil(CpuSample later) {
    return percent(brokerNanos, later.brokerNanos, wallNanos, later.wallNanos);
  }

  private static double percent(long a, long b, long wallA, long wallB) {
    if (a < 0 || b < 0 || wallB <= wallA) {
      return -1;
    }
    return 100.0 * (b - a) / (wallB - wallA);
  }
}
