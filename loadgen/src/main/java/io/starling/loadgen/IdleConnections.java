package io.starling.loadgen;

import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.loadgen.Connector.Side;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * conns: opens {@link LoadOptions#connections()} idle connections, at most {@link
 * LoadOptions#connectRatePerSecond()} a second and {@value #MAX_PENDING} in progress at a time,
 * spread over the source addresses; each asks for {@link LoadOptions#keepAliveSeconds()} and, with
 * {@link LoadOptions#subscribeEach()}, subscribes to one filter of its own. It holds them for the
 * measured time, sending each a PINGREQ twice per keep-alive period, and reports how fast they were
 * opened, how many stayed up and the growth of the broker's resident memory per connection. Runs on
 * the caller's thread.
 */
final class IdleConnections {
  /**
   * Connections in progress at most (socket connected, CONNACK and SUBACK not yet in). A broker
   * accepts from a bounded queue (Mosquitto listens with a backlog of 100); more at once would
   * measure SYN retransmissions instead of the broker.
   */
  static final int MAX_PENDING = 100;

  /** Lets the broker settle after the warm-up, so that its memory "before" is steady. */
  private static final long SETTLE_MILLIS = 2000;

  private final LoadOptions o;
  private final Connector connector;
  private final PrintWriter out;
  private final List<LoadConnection> conns;
  private final List<CompletableFuture<Void>> ready;
  private int failed;

  IdleConnections(LoadOptions options, Connector connector, PrintWriter out) {
    this.o = options;
    this.connector = connector;
    this.out = out;
    this.conns = new ArrayList<>(options.connections());
    this.ready = new ArrayList<>(options.connections());
  }

  /** Runs the scenario, prints progress and the summary, and returns the result. */
  LoadResult run() throws Exception {
    warmUpBroker();
    long rssBefore = CpuSample.take(o.brokerPid()).brokerRssKiB();
    long start = System.nanoTime();
    openAll(start, o.connections(), "idle");
    double connectSeconds = (System.nanoTime() - start) / 1e9;
    int up = connected();
    out.printf(
        Locale.ROOT,
        "conns: %d connected%s, %d failed in %.1f s (%.0f/s)%n",
        up,
        o.subscribeEach() ? " and subscribed" : "",
        failed,
        connectSeconds,
        up / connectSeconds);
    out.flush();
    hold(o.duration().toNanos());
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
    openAll(System.nanoTime(), Math.max(1, o.connections() / 10), "warm");
    for (LoadConnection c : conns) {
      c.channel().close().syncUninterruptibly();
    }
    conns.clear();
    ready.clear();
    failed = 0;
    Thread.sleep(SETTLE_MILLIS);
  }

  /** Opens {@code n} connections on schedule, alternating between the two event-loop groups. */
  private void openAll(long startNanos, int n, String topicPrefix) throws InterruptedException {
    List<String> sources = o.sourceAddresses().isEmpty() ? List.of("") : o.sourceAddresses();
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / o.connectRatePerSecond();
    Semaphore inProgress = new Semaphore(MAX_PENDING);
    for (int i = 0; i < n; i++) {
      long wait = startNanos + i * intervalNanos - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      if (!inProgress.tryAcquire(Connector.TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        break; // nothing completes any more: the broker is gone; counted below
      }
      String source = sources.get(i % sources.size());
      LoadConnection c =
          connector.openAsync(
              p -> {},
              source.isEmpty() ? null : source,
              i % 2 == 0 ? Side.PUBLISHERS : Side.SUBSCRIBERS);
      CompletableFuture<Void> done =
          o.subscribeEach() ? subscribeOnConnect(c, topicPrefix, i) : c.connected;
      done.whenComplete((v, e) -> inProgress.release());
      conns.add(c);
      ready.add(done);
    }
    failed = n - awaitAll();
  }

  /** Subscribes a connection to a filter of its own once CONNACK came; completes with SUBACK. */
  private CompletableFuture<Void> subscribeOnConnect(LoadConnection c, String prefix, int i) {
    Subscription s = Subscription.of(prefix + "/" + connector.runId() + "/" + i, o.qos());
    c.connected.thenRun(() -> c.send(new Subscribe(1, List.of(s), Properties.EMPTY)));
    return c.connected.thenCompose(v -> c.subscribed);
  }

  /** Waits for every connection to be ready; returns how many are. */
  private int awaitAll() {
    int ok = 0;
    for (CompletableFuture<Void> f : ready) {
      try {
        f.get(Connector.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        ok++;
      } catch (Exception e) {
        // counted as failed
      }
    }
    return ok;
  }

  /**
   * Holds the connections for {@code nanos}, sending each a PINGREQ every half keep-alive, as a
   * client does; with no keep-alive, or one longer than twice the hold, none is due.
   */
  private void hold(long nanos) throws InterruptedException {
    long end = System.nanoTime() + nanos;
    long pingEvery = TimeUnit.SECONDS.toNanos(o.keepAliveSeconds()) / 2;
    while (true) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        return;
      }
      if (pingEvery <= 0 || pingEvery >= left) {
        TimeUnit.NANOSECONDS.sleep(left);
        return;
      }
      TimeUnit.NANOSECONDS.sleep(pingEvery);
      for (LoadConnection c : conns) {
        if (c.channel().isActive()) {
          c.send(PingReq.INSTANCE);
        }
      }
    }
  }

  /** Connections open that got a successful CONNACK (and SUBACK, when they subscribe). */
  private int connected() {
    int up = 0;
    for (int i = 0; i < conns.size(); i++) {
      CompletableFuture<Void> f = ready.get(i);
      if (conns.get(i).channel().isActive() && f.isDone() && !f.isCompletedExceptionally()) {
        up++;
      }
    }
    return up;
  }

  /** Connections still open. */
  private int active() {
    int up = 0;
    for (LoadConnection c : conns) {
      if (c.channel().isActive()) {
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
