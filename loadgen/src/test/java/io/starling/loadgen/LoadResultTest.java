package io.starling.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** bench/compare.sh and bench/durable.sh parse the RESULT line: its form must not drift. */
class LoadResultTest {
  @Test
  void aTrafficRunPrintsItsSummaryAndTheResultLine() {
    LoadResult r =
        new LoadResult(
            "p2p", 1, 64, 10, 10, 107650.4, 107700.6, 900, 2000, 5000, 9000, 12000, 0, 2, 3, 85.2,
            140.7, 0, 0, 324440);
    StringWriter text = new StringWriter();
    r.print(new PrintWriter(text));
    assertThat(text.toString().lines())
        .containsExactly(
            "  received 107650 msg/s, published 107701 msg/s; lost 0, duplicated 2, out of order 3",
            "  latency us: p50 900, p90 2000, p99 5000, p99.9 9000, max 12000",
            "  CPU: load tool 85%, broker 141%",
            "RESULT scenario=p2p qos=1 payload=64 pubs=10 subs=10 msgs_per_s=107650"
                + " pub_per_s=107701 p50_us=900 p90_us=2000 p99_us=5000 p999_us=9000"
                + " max_us=12000 lost=0 dup=2 ooo=3 tool_cpu_pct=85 broker_cpu_pct=141 conns=0"
                + " bytes_per_conn=0 rss_kib=324440");
  }

  @Test
  void idleConnectionsReportTheirCost() {
    LoadResult r =
        new LoadResult(
            "conns", 0, 0, 0, 0, 3990.2, 0, -1, -1, -1, -1, -1, 5, 0, 0, -1, -1, 9995, 2048.4,
            400000);
    StringWriter text = new StringWriter();
    r.print(new PrintWriter(text));
    assertThat(text.toString().lines())
        .containsExactly(
            "  9995 connections up, opened at 3990/s; broker RSS 400000 KiB, 2048 bytes per"
                + " connection",
            "RESULT scenario=conns qos=0 payload=0 pubs=0 subs=0 msgs_per_s=3990 pub_per_s=0"
                + " p50_us=-1 p90_us=-1 p99_us=-1 p999_us=-1 max_us=-1 lost=5 dup=0 ooo=0"
                + " tool_cpu_pct=-1 broker_cpu_pct=-1 conns=9995 bytes_per_conn=2048"
                + " rss_kib=400000");
  }
}
