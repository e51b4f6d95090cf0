package io.starling.loadgen;

import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.loadgen.Connector.Side;
import java.io.PrintWriter;
import java.util.ArrayList;
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
      for (Publisher p : publishers) {
        p.start(start, scenario.pacing());
      }
      Thread.sleep(o.warmup().toMillis());
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
    Thread.sleep(o.duration().toMillis());
    long recv1 = state.received();
    long pub1 = state.published();
    CpuSample cpu1 = CpuSample.take(o.brokerPid());
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Measurement((recv1 - recv0) / seconds, (pub1 - pub0) / seconds, cpu0, cpu1);
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
    Histogram latency = latencies();
    long[] sent = publishers.stream().mapToLong(Publisher::sent).toArray();
    long lost = subscribers.stream().mapToLong(s -> s.lost(sent)).sum();
    long duplicates = subscribers.stream().mapToLong(Subscriber::duplicates).sum();
    long outOfOrder = subscribers.stream().mapToLong(Subscriber::outOfOrder).sum();
    boolean none = latency.getTotalCount() == 0;
    LoadResult r =
        new LoadResult(
            scenario.name(),
            o.qos().value(),
            o.payloadBytes(),
            scenario.publishers(),
            scenario.subscribers(),
            m.receivedPerSecond(),
            m.publishedPerSecond(),
            none ? -1 : latency.getValueAtPercentile(50),
            none ? -1 : latency.getValueAtPercentile(90),
            none ? -1 : latency.getValueAtPercentile(99),
            none ? -1 : latency.getValueAtPercentile(99.9),
            none ? -1 : latency.getMaxValue(),
            lost,
            duplicates,
            outOfOrder,
            m.cpu0().toolPercentUntil(m.cpu1()),
            m.cpu0().brokerPercentUntil(m.cpu1()),
            0,
            0,
            m.cpu1().brokerRssKiB());
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
