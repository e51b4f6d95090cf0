package io.starling.loadgen;

import static java.util.stream.Collectors.joining;

import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.loadgen.Connector.Side;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The measured run every traffic scenario shares: subscribe, connect the publishers, publish
 * through the warm-up and the measured time, wait for the messages still on their way, then count
 * what arrived. Runs on the caller's thread; the traffic runs on the {@link Connector}'s loops.
 */
final class TrafficRun {
  /** The longest wait for messages still on their way once publishing stops. */
  private static final long DRAIN_SECONDS = 10;

  /** A drain ends when nothing arrived for this long. */
  private static final long DRAIN_POLL_MILLIS = 500;

  private final TrafficScenario scenario;
  private final LoadOptions o;
  private final Connector connector;
  private final PrintWriter out;
  private final RunState state;
  private final List<Subscriber> subscribers = new ArrayList<>();
  private final List<Publisher> publishers = new ArrayList<>();
  private PerSecond perSecond;

  TrafficRun(TrafficScenario scenario, LoadOptions options, Connector connector, PrintWriter out) {
    this.scenario = scenario;
    this.o = options;
    this.connector = connector;
    this.out = out;
    this.state = new RunState(scenario.publishers());
  }

  /** Runs the scenario, prints progress and the summary, and returns the result. */
  LoadResult run() throws Exception {
    Measurement m;
    try {
      String base = "bench/" + connector.runId() + "/" + scenario.name();
      subscribe(base);
      connectPublishers(base);
      printStart();
      long start = System.nanoTime();
      perSecond = new PerSecond(start, state.received());
      for (Publisher p : publishers) {
        p.start(start, scenario.pacing());
      }
      waitUntil(start + o.warmup().toNanos());
      m = measure();
    } finally {
      state.stop();
    }
    drain();
    return summarize(m);
  }

  private void subscribe(String base) throws Exception {
    boolean tracking = o.payloadBytes() >= Payloads.HEADER;
    for (int i = 0; i < scenario.subscribers(); i++) {
      Subscriber s = new Subscriber(scenario.publishers(), scenario.sources(i), tracking, state);
      LoadConnection c = connector.open(s::onMessage, Side.SUBSCRIBERS);
      Subscription subscription = Subscription.of(scenario.filter(base, i), o.qos());
      c.send(new Subscribe(1, List.of(subscription), Properties.EMPTY));
      c.subscribed.get(Connector.TIMEOUT_SECONDS, TimeUnit.SECONDS);
      subscribers.add(s);
    }
  }

  private void connectPublishers(String base) throws Exception {
    for (int i = 0; i < scenario.publishers(); i++) {
      LoadConnection c = connector.open(p -> {}, Side.PUBLISHERS);
      c.preparePublish(scenario.topic(base, i), o.qos());
      publishers.add(new Publisher(i, c, scenario.fanout(), o, state));
    }
  }

  private void printStart() {
    out.printf(
        Locale.ROOT,
        "%s: %d publisher(s), %d subscriber(s), QoS %d, %d-byte payloads, %s, %s transport%n",
        scenario.name(),
        scenario.publishers(),
        scenario.subscribers(),
        o.qos().value(),
        o.payloadBytes(),
        o.version(),
        connector.isEpoll() ? "epoll" : "nio");
    out.flush();
  }

  /** Rates over the measured time, and CPU samples at its ends. */
  private record Measurement(
      double receivedPerSecond, double publishedPerSecond, CpuSample cpu0, CpuSample cpu1) {}

  private Measurement measure() throws InterruptedException {
    for (Subscriber s : subscribers) {
      s.requestHistogramReset();
    }
    long recv0 = state.received();
    long pub0 = state.published();
    CpuSample cpu0 = CpuSample.take(o.brokerPid());
    long t0 = System.nanoTime();
    waitUntil(t0 + o.duration().toNanos());
    long recv1 = state.received();
    long pub1 = state.published();
    CpuSample cpu1 = CpuSample.take(o.brokerPid());
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Measurement((recv1 - recv0) / seconds, (pub1 - pub0) / seconds, cpu0, cpu1);
  }

  /** Sleeps until {@code deadlineNanos}, counting what arrives in each second on the way. */
  private void waitUntil(long deadlineNanos) throws InterruptedException {
    long now;
    while ((now = System.nanoTime()) < deadlineNanos) {
      long next = perSecond.nextSampleNanos();
      if (now >= next) {
        perSecond.sample(now, state.received());
      } else {
        TimeUnit.NANOSECONDS.sleep(Math.min(next, deadlineNanos) - now);
      }
    }
    if (now >= perSecond.nextSampleNanos()) {
      perSecond.sample(now, state.received());
    }
  }

  /** Waits (bounded) until what was published has arrived or nothing more arrives. */
  private void drain() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_SECONDS);
    long last = -1;
    while (System.nanoTime() < deadline) {
      long now = state.received();
      long expected = 0;
      for (Publisher p : publishers) {
        expected += p.sent() * p.fanout();
      }
      if (now >= expected || now == last) {
        return;
      }
      last = now;
      Thread.sleep(DRAIN_POLL_MILLIS);
    }
  }

  private LoadResult summarize(Measurement m) {
    LatencySummary latency = LatencySummary.of(latencies());
    long[] sent = publishers.stream().mapToLong(Publisher::sent).toArray();
    long lost = subscribers.stream().mapToLong(s -> s.lost(sent)).sum();
    long duplicates = subscribers.stream().mapToLong(Subscriber::duplicates).sum();
    long outOfOrder = subscribers.stream().mapToLong(Subscriber::outOfOrder).sum();
    LoadResult r =
        new LoadResult(
            scenario.name(),
            o.qos().value(),
            o.payloadBytes(),
            scenario.publishers(),
            scenario.subscribers(),
            m.receivedPerSecond(),
            m.publishedPerSecond(),
            latency.p50(),
            latency.p90(),
            latency.p99(),
            latency.p999(),
            latency.max(),
            lost,
            duplicates,
            outOfOrder,
            m.cpu0().toolPercentUntil(m.cpu1()),
            m.cpu0().brokerPercentUntil(m.cpu1()),
            0,
            0,
            m.cpu1().brokerRssKiB());
    out.printf(
        Locale.ROOT,
        "  received per second from the start (warm-up included): %s%n",
        Arrays.stream(perSecond.rates()).mapToObj(Long::toString).collect(joining(" ")));
    out.println(perSecond.line(scenario.name()));
    r.print(out);
    return r;
  }

  /** Every subscriber's latencies since the warm-up, in microseconds. */
  private Histogram latencies() {
    Histogram all = new Histogram(3);
    for (Subscriber s : subscribers) {
      s.addLatenciesTo(all);
    }
    return all;
  }
}
