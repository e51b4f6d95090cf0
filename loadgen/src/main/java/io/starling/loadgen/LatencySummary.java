package io.starling.loadgen;

import org.HdrHistogram.Histogram;

/**
 * The percentiles a traffic run reports, in microseconds, read from a histogram of latencies in
 * microseconds (3 significant digits: a value is exact to within 0.1%). A percentile is the
 * smallest recorded value that at least that share of the samples do not exceed, so with 1,000
 * samples p99.9 is the 999th smallest and only {@code max} shows the single worst one. All -1 when
 * nothing was recorded.
 */
record LatencySummary(long p50, long p90, long p99, long p999, long max) {
  static final LatencySummary NONE = new LatencySummary(-1, -1, -1, -1, -1);

  static LatencySummary of(Histogram micros) {
    if (micros.getTotalCount() == 0) {
      return NONE;
    }
    // HdrHistogram reads each value as the top of its bucket: a latency is never reported lower
    // than it was.
    return new LatencySummary(
        micros.getValueAtPercentile(50),
        micros.getValueAtPercentile(90),
        micros.getValueAtPercentile(99),
        micros.getValueAtPercentile(99.9),
        micros.getMaxValue());
  }
}
