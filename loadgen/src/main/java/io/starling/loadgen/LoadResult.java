package io.starling.loadgen;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * The outcome of one load run. {@link #print} writes a readable summary and one machine-readable
 * {@code RESULT} line. Values that do not apply are -1.
 */
public record LoadResult(
    String scenario,
    int qos,
    int payloadBytes,
    int publishers,
    int subscribers,
    double receivedPerSecond,
    double publishedPerSecond,
    long p50Micros,
    long p90Micros,
    long p99Micros,
    long p999Micros,
    long maxMicros,
    long lost,
    long duplicates,
    long outOfOrder,
    double toolCpuPercent,
    double brokerCpuPercent,
    int connectionsUp,
    double brokerBytesPerConnection,
    long brokerRssKiB) {

  void print(PrintWriter out) {
    if (scenario.equals("conns")) {
      out.printf(
          Locale.ROOT,
          "  %d connections up, opened at %.0f/s; broker RSS %d KiB, %.0f bytes per connection%n",
          connectionsUp,
          receivedPerSecond,
          brokerRssKiB,
          brokerBytesPerConnection);
    } else {
      out.printf(
          Locale.ROOT,
          "  received %.0f msg/s, published %.0f msg/s; lost %d, duplicated %d, out of order %d%n",
          receivedPerSecond,
          publishedPerSecond,
          lost,
          duplicates,
          outOfOrder);
      if (p50Micros >= 0) {
        out.printf(
            Locale.ROOT,
            "  latency us: p50 %d, p90 %d, p99 %d, p99.9 %d, max %d%n",
            p50Micros,
            p90Micros,
            p99Micros,
            p999Micros,
            maxMicros);
      }
      out.printf(
          Locale.ROOT,
          "  CPU: load tool %.0f%%, broker %s%n",
          toolCpuPercent,
          brokerCpuPercent < 0
              ? "unknown (no --broker-pid)"
              : String.format(Locale.ROOT, "%.0f%%", brokerCpuPercent));
    }
    out.println(resultLine());
    out.flush();
  }

  /** The one-line, machine-readable form. */
  public String resultLine() {
    return String.format(
        Locale.ROOT,
        "RESULT scenario=%s qos=%d payload=%d pubs=%d subs=%d msgs_per_s=%.0f pub_per_s=%.0f"
            + " p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d lost=%d dup=%d ooo=%d"
            + " tool_cpu_pct=%.0f broker_cpu_pct=%.0f conns=%d bytes_per_conn=%.0f rss_kib=%d",
        scenario,
        qos,
        payloadBytes,
        publishers,
        subscribers,
        receivedPerSecond,
        publishedPerSecond,
        p50Micros,
        p90Micros,
        p99Micros,
        p999Micros,
        maxMicros,
        lost,
        duplicates,
        outOfOrder,
        toolCpuPercent,
        brokerCpuPercent,
        connectionsUp,
        brokerBytesPerConnection,
        brokerRssKiB);
  }
}
