package io.starling.broker.sys;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.routing.Router;
import io.starling.codec.QoS;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Publishes the broker's statistics as retained messages under {@code $SYS/broker/} every interval,
 * with the names and meanings Mosquitto uses so that existing dashboards work: {@code messages/*}
 * count packets of every type, {@code publish/messages/*} PUBLISH packets only, and {@code
 * clients/total} the sessions the broker holds (connected, and persistent ones offline). It reads
 * only the counters, the session count and the retained store, and publishes through the router.
 */
public final class SysPublisher {
  /** The version reported in {@code $SYS/broker/version}. */
  public static final String VERSION = versionString();

  private final BrokerStats stats;
  private final Router router;
  private final IntSupplier sessionCount;
  private final EventExecutor executor;
  private final int intervalSeconds;
  private final LoadAverage messagesReceived = new LoadAverage();
  private final LoadAverage messagesSent = new LoadAverage();
  private final LoadAverage bytesReceived = new LoadAverage();
  private final LoadAverage bytesSent = new LoadAverage();
  private final LoadAverage connections = new LoadAverage();
  private ScheduledFuture<?> task;

  /**
   * @param sessionCount how many sessions the broker holds now (any thread)
   * @param executor the event loop the statistics are published from
   */
  public SysPublisher(
      BrokerStats stats,
      Router router,
      IntSupplier sessionCount,
      EventExecutor executor,
      int intervalSeconds) {
    this.stats = stats;
    this.router = router;
    this.sessionCount = sessionCount;
    this.executor = executor;
    this.intervalSeconds = intervalSeconds;
  }

  public void start() {
    task = executor.scheduleAtFixedRate(this::publishAll, 0, intervalSeconds, TimeUnit.SECONDS);
  }

  public void stop() {
    if (task != null) {
      task.cancel(false);
    }
  }

  private void publishAll() {
    BrokerStats s = stats;
    long uptimeSeconds = (System.currentTimeMillis() - s.startMillis) / 1000;
    double elapsed = intervalSeconds;
    messagesReceived.update(s.messagesReceived.sum(), elapsed);
    messagesSent.update(s.messagesSent.sum(), elapsed);
    bytesReceived.update(s.bytesReceived.sum(), elapsed);
    bytesSent.update(s.bytesSent.sum(), elapsed);
    connections.update(s.clientsTotal.sum(), elapsed);
    long connected = s.clientsConnected.get();
    publish("version", "starling " + VERSION);
    publish("uptime", uptimeSeconds + " seconds");
    publish("clients/connected", connected);
    publish("clients/active", connected);
    publish("clients/disconnected", Math.max(0, s.persistentSessions.get() - connected));
    publish("clients/maximum", s.clientsMaximum.get());
    publish("clients/total", sessionCount.getAsInt());
    publish("messages/received", s.messagesReceived.sum());
    publish("messages/sent", s.messagesSent.sum());
    publish("publish/messages/received", s.publishReceived.sum());
    publish("publish/messages/sent", s.publishSent.sum());
    publish(
        "publish/messages/dropped",
        s.qos0Dropped.sum()
            + s.queueOverflowDropped.sum()
            + s.expiredDropped.sum()
            + s.tooLargeDropped.sum());
    publish("publish/messages/expired", s.expiredDropped.sum());
    publish("publish/messages/dropped/sys", s.publishDroppedSys.sum());
    // security: what the ACL and the abuse limits refused
    publish("publish/messages/dropped/denied", s.publishDenied.sum());
    publish("publish/messages/dropped/extension", s.publishRefusedByExtension.sum());
    publish("subscriptions/denied", s.subscribeDenied.sum());
    publish("security/deliveries/denied", s.deliveriesDenied.sum());
    publish("security/logins/failed", s.loginsFailed.sum());
    publish("security/abuse/refused", s.abuseRefused.sum());
    publish("security/takeovers/refused", s.takeoversRefused.sum());
    publish("sessions/refused", s.sessionsRefused.sum());
    publish("sessions/expired", s.sessionsExpired.sum());
    publish("security/abuse/closed/unwritable", s.unwritableClosed.sum());
    publish("clients/disconnected/slow", s.slowSubscriberDisconnects.sum());
    publish("bytes/received", s.bytesReceived.sum());
    publish("bytes/sent", s.bytesSent.sum());
    publish("subscriptions/count", s.subscriptions.get());
    publish("retained messages/count", router.retained().size());
    publish("retained messages/bytes", router.retained().bytes());
    publish("store/messages/count", s.queuedMessages.get());
    publish("store/messages/bytes", s.queuedBytes.get());
    publish("messages/queued", s.queuedMessages.get());
    // the broker-wide state limits (issue #15): what each refused
    publish("limits/retained/refused", s.retainedRefused.sum());
    publish("limits/queued_bytes/dropped", s.queueBytesDropped.sum());
    publish("limits/subscription_bytes/refused", s.subscriptionBytesRefused.sum());
    publish("limits/inbound_qos2/disconnected", s.inboundQos2Exceeded.sum());
    publishLoad("messages/received", messagesReceived);
    publishLoad("messages/sent", messagesSent);
    publishLoad("bytes/received", bytesReceived);
    publishLoad("bytes/sent", bytesSent);
    publishLoad("connections", connections);
    router.dispatch();
  }

  private void publishLoad(String name, LoadAverage load) {
    publish("load/" + name + "/1min", format(load.oneMinute()));
    publish("load/" + name + "/5min", format(load.fiveMinutes()));
    publish("load/" + name + "/15min", format(load.fifteenMinutes()));
  }

  private static String format(double perMinute) {
    return String.format(Locale.ROOT, "%.2f", perMinute);
  }

  private void publish(String name, Object value) {
    ByteBuf payload =
        Unpooled.wrappedBuffer(String.valueOf(value).getBytes(StandardCharsets.UTF_8));
    try {
      router.publish("$SYS/broker/" + name, payload, QoS.AT_MOST_ONCE, true);
    } finally {
      payload.release();
    }
  }

  private static String versionString() {
    Package p = SysPublisher.class.getPackage();
    String v = p == null ? null : p.getImplementationVersion();
    return v == null ? "0.1.0" : v;
  }

  /**
   * Per-minute rates of a growing counter, smoothed exponentially over 1, 5 and 15 minutes like the
   * Unix load average.
   */
  static final class LoadAverage {
    private long last = -1;
    private double one;
    private double five;
    private double fifteen;

    void update(long counter, double elapsedSeconds) {
      if (last >= 0 && elapsedSeconds > 0) {
        double perMinute = (counter - last) * 60.0 / elapsedSeconds;
        one = smooth(one, perMinute, elapsedSeconds, 60);
        five = smooth(five, perMinute, elapsedSeconds, 300);
        fifteen = smooth(fifteen, perMinute, elapsedSeconds, 900);
      }
      last = counter;
    }

    private static double smooth(double average, double sample, double elapsed, double window) {
      double factor = Math.exp(-elapsed / window);
      return average * factor + sample * (1 - factor);
    }

    double oneMinute() {
      return one;
    }

    double fiveMinutes() {
      return five;
    }

    double fifteenMinutes() {
      return fifteen;
    }
  }
}
