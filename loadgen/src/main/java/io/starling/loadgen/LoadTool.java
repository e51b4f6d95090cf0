package io.starling.loadgen;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.starling.codec.QoS;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.loadgen.LoadOptions.Scenario;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * The load generator behind {@code starling bench}: opens real MQTT connections to a broker, makes
 * the traffic of one {@link Scenario}, and measures what arrives. Every run is bounded in time; it
 * talks only to the address it is given.
 */
public final class LoadTool implements AutoCloseable {
  private static final int CONNECT_TIMEOUT_SECONDS = 30;

  private final LoadOptions o;
  private final PrintWriter out;

  /** Publishers and subscribers on separate threads, so that flooding never starves reading. */
  private final EventLoopGroup publisherGroup;

  private final EventLoopGroup subscriberGroup;
  private final boolean epoll = Epoll.isAvailable();
  private final List<Publisher> publishers = new ArrayList<>();
  private final List<Tracker> trackers = new ArrayList<>();
  private final LongAdder received = new LongAdder();
  private final LongAdder published = new LongAdder();
  private final AtomicInteger clientIds = new AtomicInteger();
  private final String runId = Long.toString(System.nanoTime() % 1_000_000, 36);
  private volatile boolean running = true;

  public LoadTool(LoadOptions options, PrintWriter out) {
    this.o = options;
    this.out = out;
    var factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.publisherGroup = new MultiThreadIoEventLoopGroup(options.threads(), factory);
    this.subscriberGroup = new MultiThreadIoEventLoopGroup(options.threads(), factory);
  }

  /** Runs the scenario and returns its result; prints progress and the summary to {@code out}. */
  public LoadResult run() throws Exception {
    return o.scenario() == Scenario.CONNS ? runConnections() : runTraffic();
  }

  // ---- traffic scenarios --------------------------------------------------------------------

  private LoadResult runTraffic() throws Exception {
    Scenario s = o.scenario();
    int pubs = s == Scenario.FANIN || s == Scenario.P2P ? o.publishers() : 1;
    int subs = s == Scenario.FANOUT ? o.subscribers() : s == Scenario.P2P ? o.publishers() : 1;
    String base = "bench/" + runId + "/" + s.name().toLowerCase(Locale.ROOT);
    for (int i = 0; i < subs; i++) {
      String filter =
          switch (s) {
            case FANIN -> base + "/+";
            case P2P -> base + "/" + i;
            default -> base;
          };
      int[] sources =
          s == Scenario.P2P ? new int[] {i} : java.util.stream.IntStream.range(0, pubs).toArray();
      Tracker t = new Tracker(pubs, sources, o.payloadBytes() >= Payloads.HEADER);
      LoadConnection c = open(t::onMessage, null, subscriberGroup);
      c.send(new Subscribe(1, List.of(Subscription.of(filter, o.qos())), Properties.EMPTY));
      c.subscribed.get(CONNECT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      trackers.add(t);
    }
    for (int i = 0; i < pubs; i++) {
      String topic = s == Scenario.FANIN || s == Scenario.P2P ? base + "/" + i : base;
      LoadConnection c = open(p -> {}, null, publisherGroup);
      c.preparePublish(topic, o.qos());
      publishers.add(new Publisher(i, c, topic, s == Scenario.FANOUT ? subs : 1));
    }
    out.printf(
        Locale.ROOT,
        "%s: %d publisher(s), %d subscriber(s), QoS %d, %d-byte payloads, %s, %s transport%n",
        s.name().toLowerCase(Locale.ROOT),
        pubs,
        subs,
        o.qos().value(),
        o.payloadBytes(),
        o.version(),
        epoll ? "epoll" : "nio");
    out.flush();
    long start = System.nanoTime();
    for (Publisher p : publishers) {
      p.start(start);
    }
    Thread.sleep(o.warmup().toMillis());
    for (Tracker t : trackers) {
      t.resetHistogram();
    }
    long recv0 = received.sum();
    long pub0 = published.sum();
    CpuSample cpu0 = CpuSample.take(o.brokerPid());
    long t0 = System.nanoTime();
    Thread.sleep(o.duration().toMillis());
    long recv1 = received.sum();
    long pub1 = published.sum();
    CpuSample cpu1 = CpuSample.take(o.brokerPid());
    double seconds = (System.nanoTime() - t0) / 1e9;
    running = false;
    drain(pubs * (long) subs);
    return summarize(s, pubs, subs, (recv1 - recv0) / seconds, (pub1 - pub0) / seconds, cpu0, cpu1);
  }

  /** Waits (bounded) until what was published has arrived or nothing more arrives. */
  private void drain(long fanout) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    long last = -1;
    while (System.nanoTime() < deadline) {
      long now = received.sum();
      long expected = 0;
      for (Publisher p : publishers) {
        expected += p.sent;
      }
      if (o.scenario() == Scenario.FANOUT) {
        expected *= o.subscribers();
      }
      if (now >= expected || now == last) {
        return;
      }
      last = now;
      Thread.sleep(500);
    }
  }

  private LoadResult summarize(
      Scenario s,
      int pubs,
      int subs,
      double receivedPerSecond,
      double publishedPerSecond,
      CpuSample cpu0,
      CpuSample cpu1) {
    Histogram latency = new Histogram(3);
    long lost = 0;
    long duplicates = 0;
    long outOfOrder = 0;
    for (Tracker t : trackers) {
      latency.add(t.histogram);
      if (t.tracking) {
        for (int p : t.sources) {
          lost += Math.max(0, publishers.get(p).sent - t.unique(p));
        }
      }
      duplicates += t.duplicates;
      outOfOrder += t.outOfOrder;
    }
    LoadResult r =
        new LoadResult(
            s.name().toLowerCase(Locale.ROOT),
            o.qos().value(),
            o.payloadBytes(),
            pubs,
            subs,
            receivedPerSecond,
            publishedPerSecond,
            latency.getTotalCount() == 0 ? -1 : latency.getValueAtPercentile(50),
            latency.getTotalCount() == 0 ? -1 : latency.getValueAtPercentile(90),
            latency.getTotalCount() == 0 ? -1 : latency.getValueAtPercentile(99),
            latency.getTotalCount() == 0 ? -1 : latency.getValueAtPercentile(99.9),
            latency.getTotalCount() == 0 ? -1 : latency.getMaxValue(),
            lost,
            duplicates,
            outOfOrder,
            CpuSample.percent(cpu0.toolNanos, cpu1.toolNanos, cpu0.wallNanos, cpu1.wallNanos),
            CpuSample.percent(cpu0.brokerNanos, cpu1.brokerNanos, cpu0.wallNanos, cpu1.wallNanos),
            0,
            0,
            cpu1.brokerRssKiB);
    r.print(out);
    return r;
  }

  // ---- idle connections ---------------------------------------------------------------------

  private LoadResult runConnections() throws Exception {
    // Warm the broker up with a tenth of the connections, opened and closed, so that its memory
    // "before" already holds what any broker needs once it has served clients (code paths,
    // buffers, a garbage-collected heap's young space) and the difference is per connection.
    List<LoadConnection> warm = new ArrayList<>();
    for (int i = 0; i < Math.max(1, o.connections() / 10); i++) {
      LoadConnection c = openAsync(p -> {}, null, publisherGroup);
      warm.add(c);
    }
    for (LoadConnection c : warm) {
      try {
        c.connected.get(CONNECT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception e) {
        // counted in the main run, not here
      }
      c.channel().close().syncUninterruptibly();
    }
    Thread.sleep(2000);
    long rssBefore = CpuSample.take(o.brokerPid()).brokerRssKiB;
    List<LoadConnection> conns = new ArrayList<>(o.connections());
    List<String> sources = o.sourceAddresses().isEmpty() ? List.of("") : o.sourceAddresses();
    long start = System.nanoTime();
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / o.connectRatePerSecond();
    int failed = 0;
    List<CompletableFuture<?>> pending = new ArrayList<>();
    for (int i = 0; i < o.connections(); i++) {
      long due = start + i * intervalNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      String source = sources.get(i % sources.size());
      try {
        LoadConnection c =
            openAsync(
                p -> {},
                source.isEmpty() ? null : source,
                i % 2 == 0 ? publisherGroup : subscriberGroup);
        conns.add(c);
        pending.add(c.connected);
      } catch (Exception e) {
        failed++;
      }
      if (pending.size() >= 1000) {
        failed += awaitAll(pending);
      }
    }
    failed += awaitAll(pending);
    double connectSeconds = (System.nanoTime() - start) / 1e9;
    int up = 0;
    for (LoadConnection c : conns) {
      if (c.channel() != null
          && c.channel().isActive()
          && c.connected.isDone()
          && !c.connected.isCompletedExceptionally()) {
        up++;
      }
    }
    out.printf(
        Locale.ROOT, "conns: %d connected, %d failed in %.1f s%n", up, failed, connectSeconds);
    out.flush();
    Thread.sleep(o.duration().toMillis());
    int stillUp = 0;
    for (LoadConnection c : conns) {
      if (c.channel() != null && c.channel().isActive()) {
        stillUp++;
      }
    }
    long rssAfter = CpuSample.take(o.brokerPid()).brokerRssKiB;
    LoadResult r =
        new LoadResult(
            "conns",
            o.qos().value(),
            0,
            0,
            0,
            up / connectSeconds,
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
            rssAfter > 0 && stillUp > 0 ? (rssAfter - rssBefore) * 1024.0 / stillUp : 0,
            rssAfter);
    r.print(out);
    return r;
  }

  private static int awaitAll(List<CompletableFuture<?>> pending) {
    int failed = 0;
    for (CompletableFuture<?> f : pending) {
      try {
        f.get(CONNECT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception e) {
        failed++;
      }
    }
    pending.clear();
    return failed;
  }

  // ---- connections --------------------------------------------------------------------------

  private LoadConnection open(
      java.util.function.Consumer<ByteBuf> onMessage, String source, EventLoopGroup group)
      throws Exception {
    LoadConnection c = openAsync(onMessage, source, group);
    c.connected.get(CONNECT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    return c;
  }

  private LoadConnection openAsync(
      java.util.function.Consumer<ByteBuf> onMessage, String source, EventLoopGroup group)
      throws Exception {
    LoadConnection c = new LoadConnection(o.version(), onMessage);
    Bootstrap b =
        new Bootstrap()
            .group(group)
            .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_SECONDS * 1000)
            .option(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(64 << 10, 256 << 10))
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(c);
                  }
                });
    InetSocketAddress remote = new InetSocketAddress(o.host(), o.port());
    Channel ch =
        (source == null ? b.connect(remote) : b.connect(remote, new InetSocketAddress(source, 0)))
            .sync()
            .channel();
    c.attach(ch);
    String clientId = "bench-" + runId + "-" + clientIds.incrementAndGet();
    // Idle connections keep a keep-alive like real clients (300 s: no PINGREQ is due in a run).
    int keepAlive = o.scenario() == Scenario.CONNS ? 300 : 60;
    // Durable scenarios: persistent sessions (a 5.0 session lasting the run and a minute), so that
    // a broker with persistence stores every QoS 1/2 message for its subscribers.
    boolean clean = !o.persistent() || o.scenario() == Scenario.CONNS;
    Properties props =
        !clean && o.version() == io.starling.codec.MqttVersion.V5
            ? Properties.builder()
                .add(io.starling.codec.packet.PropertyId.SESSION_EXPIRY_INTERVAL, 60L)
                .build()
            : Properties.EMPTY;
    c.send(new Connect(o.version(), clientId, clean, keepAlive, null, null, null, props));
    return c;
  }

  @Override
  public void close() {
    running = false;
    publisherGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    subscriberGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  // ---- publishing and receiving -------------------------------------------------------------

  /** Publishes as fast as the window and the socket allow, or at the fixed rate (latency). */
  private final class Publisher {
    final int index;
    final LoadConnection conn;
    final String topic;
    final int fanout;

    /** Arrivals of this publisher's messages, over all subscribers (QoS 0 window). */
    final java.util.concurrent.atomic.AtomicLong receipts =
        new java.util.concurrent.atomic.AtomicLong();

    volatile long sent;
    long seq;
    long startNanos;
    long writtenOff;
    long lastReceipts;
    long lastProgressNanos;

    Publisher(int index, LoadConnection conn, String topic, int fanout) {
      this.index = index;
      this.conn = conn;
      this.topic = topic;
      this.fanout = fanout;
    }

    void start(long startNanos) {
      this.startNanos = startNanos;
      Channel ch = conn.channel();
      if (o.scenario() == Scenario.LATENCY) {
        // Ticks of 100 us: at most a few messages leave together, so bursts do not pass for
        // latency.
        ch.eventLoop().scheduleAtFixedRate(this::paced, 0, 100, TimeUnit.MICROSECONDS);
      } else {
        conn.onWindowOpen(this::pump);
        ch.eventLoop().execute(this::pump);
      }
    }

    private boolean windowed() {
      return o.qos() == QoS.AT_MOST_ONCE
          && o.qos0Window() > 0
          && o.payloadBytes() >= Payloads.HEADER;
    }

    private boolean windowOpen() {
      if (o.qos() != QoS.AT_MOST_ONCE) {
        return conn.inflight() < o.inflight();
      }
      return !windowed() || seq - receipts.get() / fanout - writtenOff < o.qos0Window();
    }

    private boolean canSend() {
      return running && conn.channel().isWritable() && windowOpen();
    }

    private void pump() {
      int batch = 0;
      while (canSend() && batch < 256) {
        sendOne();
        batch++;
      }
      conn.channel().flush();
      if (canSend()) {
        conn.channel().eventLoop().execute(this::pump); // yield to reads, then go on
      } else if (running && windowed() && !windowOpen()) {
        // Waiting for arrivals; messages the broker dropped never arrive, so write off a
        // window that has made no progress for half a second.
        long now = System.nanoTime();
        long r = receipts.get();
        if (r != lastReceipts) {
          lastReceipts = r;
          lastProgressNanos = now;
        } else if (now - lastProgressNanos > 500_000_000L) {
          writtenOff = seq - r / fanout;
          lastProgressNanos = now;
        }
        conn.channel().eventLoop().schedule(this::pump, 100, TimeUnit.MICROSECONDS);
      }
    }

    private void paced() {
      if (!running) {
        return;
      }
      long due = (System.nanoTime() - startNanos) * o.ratePerSecond() / 1_000_000_000L;
      while (seq < due && conn.channel().isWritable()) {
        sendOne();
      }
      conn.channel().flush();
    }

    private void sendOne() {
      ByteBuf frame = conn.startPublish(o.payloadBytes());
      Payloads.write(frame, o.payloadBytes(), index, seq++);
      conn.channel().write(frame, conn.channel().voidPromise());
      sent = seq;
      published.increment();
    }
  }

  /** What one subscriber received; touched only on its event loop until the run ends. */
  private final class Tracker {
    final Histogram histogram = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    final SeqTracker[] perPublisher;
    final int[] sources;
    final boolean tracking;
    long duplicates;
    long outOfOrder;
    volatile boolean resetRequested;

    Tracker(int publishers, int[] sources, boolean tracking) {
      this.tracking = tracking;
      this.sources = sources;
      this.perPublisher = new SeqTracker[publishers];
      for (int i = 0; i < publishers; i++) {
        perPublisher[i] = new SeqTracker();
      }
    }

    void resetHistogram() {
      resetRequested = true;
    }

    void onMessage(ByteBuf b) {
      received.increment();
      if (!tracking || b.readableBytes() < Payloads.HEADER) {
        return;
      }
      if (resetRequested) {
        histogram.reset();
        resetRequested = false;
      }
      int publisher = Payloads.publisher(b);
      long seq = Payloads.seq(b);
      if (publisher >= 0 && publisher < publishers.size()) {
        publishers.get(publisher).receipts.incrementAndGet();
      }
      histogram.recordValue(
          Math.max(0, Math.min((System.nanoTime() - Payloads.sentNanos(b)) / 1000, 60_000_000)));
      if (publisher < 0 || publisher >= perPublisher.length) {
        return;
      }
      switch (perPublisher[publisher].accept(seq)) {
        case DUPLICATE -> duplicates++;
        case OUT_OF_ORDER -> outOfOrder++;
        default -> {}
      }
    }

    long unique(int publisher) {
      return perPublisher[publisher].unique();
    }
  }

  /** Process CPU time of this tool and of the broker, and the broker's resident memory. */
  private record CpuSample(long wallNanos, long toolNanos, long brokerNanos, long brokerRssKiB) {
    static CpuSample take(long brokerPid) {
      long tool =
          ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
              .getProcessCpuTime();
      return new CpuSample(
          System.nanoTime(), tool, ProcStats.cpuNanos(brokerPid), ProcStats.rssKiB(brokerPid));
    }

    static double percent(long a, long b, long wallA, long wallB) {
      if (a < 0 || b < 0 || wallB <= wallA) {
        return -1;
      }
      return 100.0 * (b - a) / (wallB - wallA);
    }
  }
}
