package io.starling.broker.metrics;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The broker's counters and gauges, updated from any thread, read by {@code $SYS}. */
public final class BrokerStats {
  public final long startMillis = System.currentTimeMillis();
  public final AtomicLong clientsConnected = new AtomicLong();
  public final AtomicLong clientsMaximum = new AtomicLong();
  public final LongAdder clientsTotal = new LongAdder();
  public final LongAdder messagesReceived = new LongAdder();
  public final LongAdder messagesSent = new LongAdder();
  public final LongAdder publishReceived = new LongAdder();
  public final LongAdder publishSent = new LongAdder();
  public final LongAdder bytesReceived = new LongAdder();
  public final LongAdder bytesSent = new LongAdder();
  public final LongAdder publishDroppedSys = new LongAdder();
  public final LongAdder queueOverflowDropped = new LongAdder();
  public final LongAdder qos0Dropped = new LongAdder();

  /** Messages whose expiry interval passed while they waited for a subscriber. */
  public final LongAdder expiredDropped = new LongAdder();

  /** Messages not sent to a subscriber because they exceed its maximum packet size. */
  public final LongAdder tooLargeDropped = new LongAdder();

  /** PUBLISH packets the ACL refused (3.1.1 drops them silently). */
  public final LongAdder publishDenied = new LongAdder();

  /** PUBLISH packets an extension's inbound-publish hook refused. */
  public final LongAdder publishRefusedByExtension = new LongAdder();

  /** Subscriptions the ACL refused. */
  public final LongAdder subscribeDenied = new LongAdder();

  /** Deliveries the ACL withheld (a wide subscription over a denied topic). */
  public final LongAdder deliveriesDenied = new LongAdder();

  /** CONNECTs refused for bad credentials or missing authorisation. */
  public final LongAdder loginsFailed = new LongAdder();

  /** Connections refused or closed by an abuse limit (per address, flapping, rate). */
  public final LongAdder abuseRefused = new LongAdder();

  /**
   * CONNECTs refused because they would have created a session over {@code limits.max_sessions}.
   */
  public final LongAdder sessionsRefused = new LongAdder();

  /** CONNECTs refused because the client id's session belongs to another user. */
  public final LongAdder takeoversRefused = new LongAdder();

  /**
   * Connections closed because their client did not take what it was sent: the outbound buffer
   * stayed over its high-water mark for {@code abuse.unwritable_timeout_seconds}, or for a second
   * while memory was over {@code abuse.memory_high_watermark_percent}.
   */
  public final LongAdder unwritableClosed = new LongAdder();

  /** Retained messages not stored: over {@code limits.max_retained_messages} or {@code _bytes}. */
  public final LongAdder retainedRefused = new LongAdder();

  /** Messages dropped by a session queue over {@code limits.max_queued_bytes} (also overflow). */
  public final LongAdder queueBytesDropped = new LongAdder();

  /** Topic filters refused because the client's filters would exceed their byte limit. */
  public final LongAdder subscriptionBytesRefused = new LongAdder();

  /** Connections closed for more unreleased inbound QoS 2 messages than the receive maximum. */
  public final LongAdder inboundQos2Exceeded = new LongAdder();

  /** Persistent sessions ended because their expiry interval passed while they were offline. */
  public final LongAdder sessionsExpired = new LongAdder();

  /**
   * Subscribers disconnected for taking nothing for {@code limits.slow_subscriber_timeout_seconds}
   * while their full queue held publishers back.
   */
  public final LongAdder slowSubscriberDisconnects = new LongAdder();

  public final AtomicLong subscriptions = new AtomicLong();
  public final AtomicLong queuedMessages = new AtomicLong();

  /** Bytes ({@code MessageSize}) of the messages queued in memory, all sessions together. */
  public final AtomicLong queuedBytes = new AtomicLong();

  public final AtomicLong persistentSessions = new AtomicLong();

  /**
   * Counts a new connection as {@link #connected} does, but only if fewer than {@code max} are
   * connected; otherwise changes nothing and returns false. The check and the increment are one
   * atomic step, so connections admitted on several threads at once never take the count over
   * {@code max} ({@code limits.max_connections}). Each success is undone by one {@link
   * #disconnected}.
   */
  public boolean tryConnect(long max) {
    long now;
    do {
      now = clientsConnected.get();
      if (now >= max) {
        return false;
      }
    } while (!clientsConnected.compareAndSet(now, now + 1));
    clientsTotal.increment();
    clientsMaximum.accumulateAndGet(now + 1, Math::max);
    return true;
  }

  /** Counts a closed connection. */
  public void disconnected() {
    clientsConnected.decrementAndGet();
  }
}
