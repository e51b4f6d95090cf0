package io.starling.loadgen;

import io.starling.loadgen.Connector.Side;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * conns: opens {@link LoadOptions#connections()} idle connections at {@link
 * LoadOptions#connectRatePerSecond()}, spread over the source addresses, holds them for the
 * measured time, and reports how many stayed up and the broker's resident memory per connection.
 * Runs on the caller's thread.
 */
final class IdleConnections {
  /** Connections in progress at most before waiting for them, so that failures are counted. */
  private static final int MAX_PENDING = 1000;

  /** Lets the broker settle after the warm-up, so that its memory "before" is steady. */
  private static final long SETTLE_MILLIS = 2000;

  private final LoadOptions o;
  private final Connector connector;
  private final PrintWriter out;
  private final List<LoadConnection> conns;
  private int failed;

  IdleConnections(LoadOptions options, Connector connector, PrintWriter out) {
    this.o = options;
    this.connector = connector;
    this.out = out;
    this.conns = new ArrayList<>(options.connections());
  }

  /** Runs the scenario, prints progress and the summary, and returns the result. */
  LoadResult run() throws Exception {
    warmUpBroker();
    long rssBefore = CpuSample.take(o.brokerPid()).brokerRssKiB();
    long start = System.nanoTime();
    openAll(start);
    double connectSeconds = (System.nanoTime() - start) / 1e9;
    int up = connected();
    out.printf(
        Locale.ROOT, "conns: %d connected, %d failed in %.1f s%n", up, failed, connectSeconds);
    out.flush();
    Thread.sleep(o.duration().toMillis());
    int stillUp = active();
    long rssAfter = CpuSample.take(o.brokerPid()).brokerRssKiB();
    LoadResult r = result(up / connectSeconds, stillUp, rssBefore, rssAfter);
    r.print(out);
    return r;
  }

  /**
   * Opens and closes a tenth of the connections, so that the broker's memory "before" already holds
   * what any broker needs once it has served clients (code paths, buffers, a garbage-collected
   * heap's young space) and the difference is per connection.
   */
  private void warmUpBroker() throws Exception {
    List<LoadConnection> warm = new ArrayList<>();
    for (int i = 0; i < Math.max(1, o.connections() / 10); i++) {
      warm.add(connector.openAsync(p -> {}, null, Side.PUBLISHERS));
    }
    for (LoadConnection c : warm) {
      try {
        c.connected.get(Connector.TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception e) {
        // counted in the main run, not here
      }
      c.channel().close().syncUninterruptibly();
    }
    Thread.sleep(SETTLE_MILLIS);
  }

  /** Opens every connection on schedule, alternating between the two event-loop groups. */
  private void openAll(long startNanos) throws InterruptedException {
    List<String> sources = o.sourceAddresses().isEmpty() ? List.of("") : o.sourceAddresses();
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / o.connectRatePerSecond();
    List<CompletableFuture<?>> pending = new ArrayList<>();
    for (int i = 0; i < o.connections(); i++) {
      long wait = startNanos + i * intervalNanos - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      String source = sources.get(i % sources.size());
      try {
        LoadConnection c =
            connector.openAsync(
                p -> {},
                source.isEmpty() ? null : source,
                i % 2 == 0 ? Side.PUBLISHERS : Side.SUBSCRIBERS);
        conns.add(c);
        pending.add(c.connected);
      } catch (Exception e) {
        failed++;
      }
      if (pending.size() >= MAX_PENDING) {
        failed += awaitAll(pending);
      }
    }
    failed += awaitAll(pending);
  }

  /** Waits for each connection's CONNACK; returns how many failed, and empties the list. */
  private static int awaitAll(List<CompletableFuture<?>> pending) {
    int failed = 0;
    for (CompletableFuture<?> f : pending) {
      try {
        f.get(Connector.TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception e) {
        failed++;
      }
    }
    pending.clear();
    return failed;
  }

  /** Connections open that got a successful CONNACK. */
  private int connected() {
    int up = 0;
    for (LoadConnection c : conns) {
      if (c.channel() != null
          && c.channel().isActive()
          && c.connected.isDone()
          && !c.connected.isCompletedExceptionally()) {
        up++;
      }
    }
    return up;
  }

  /** Connections still open. */
  private int active() {
    int up = 0;
    for (LoadConnection c : conns) {
      if (c.channel() != null && c.channel().isActive()) {
        up++;
      }
    }
    return up;
  }

  private LoadResult result(double openedPerSecond, int stillUp, long rssBefore, long rssAfter) {
    double bytesPerConnection =
        rssAfter > 0 && stillUp > 0 ? (rssAfter - rssBefore) * 1024.0 / stillUp : 0;
    return new LoadResult(
        "conns",
        o.qos().value(),
        0,
        0,
        0,
        openedPerSecond,
        0,
        -1,
        -1,
        -1,
        -1,
        -1,
        o.connections() - stillUp,
        0,
        0,
        -1,
        -1,
        stillUp,
        bytesPerConnection,
        rssAfter);
  }
}
