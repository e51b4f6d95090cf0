package io.starling.broker.store.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.starling.broker.config.PersistenceConfig;
import io.starling.broker.logging.LogText;
import io.starling.broker.model.Message;
import io.starling.broker.model.SubOptions;
import io.starling.broker.store.StorageBackend;
import io.starling.broker.store.StoreKind;
import io.starling.broker.store.StoreOp;
import io.starling.broker.store.internal.StoreCodec.StoredMessage;
import io.starling.broker.threading.AnyThread;
import io.starling.codec.QoS;
import io.starling.codec.packet.Will;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the broker tells its store, in its own terms: sessions, subscriptions, message copies queued
 * for sessions, in-flight state, inbound QoS 2 identifiers and retained messages. Every change is
 * queued for the storage thread ({@link StoreWriter}) and returns at once; {@link #afterWrites}
 * says when the changes so far are durable. Exists only when persistence is on: without it the
 * broker's hooks are a null check. Thread-safe.
 *
 * <p>Each message copy for a session gets a sequence number from one counter, taken on the
 * publisher's event loop in routing order, so the copies of one publisher's messages sort in the
 * order it sent them.
 */
@AnyThread
public final class Persistence implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Persistence.class);

  private final StorageBackend backend;
  private final StoreWriter writer;
  private final AtomicLong lastSeq = new AtomicLong();
  private final AtomicLong offline = new AtomicLong();
  private final long maxOffline;

  private Persistence(StorageBackend backend, PersistenceConfig config) {
    this.backend = backend;
    this.maxOffline = config.maxOfflineMessages();
    this.writer =
        new StoreWriter(
            backend,
            config.durability() == PersistenceConfig.Durability.SYNC,
            config.flushIntervalMillis());
  }

  /** Wraps an open backend; call {@link #start} once recovery is done. */
  public static Persistence over(StorageBackend backend, PersistenceConfig config) {
    return new Persistence(backend, config);
  }

  /** Starts the storage thread. */
  public void start() {
    writer.start();
  }

  public StorageBackend backend() {
    return backend;
  }

  /** Continues sequence numbers after the highest one found on disk. */
  public void continueAfter(long seq) {
    lastSeq.accumulateAndGet(seq, Math::max);
  }

  // ---- sessions -------------------------------------------------------------------------------

  /** A persistent session owned by {@code owner} is attached to a connection. */
  public void sessionConnected(String clientId, long expirySeconds, StoreCodec.StoredOwner owner) {
    put(
        StoreKind.SESSIONS,
        StoreCodec.sessionKey(clientId),
        StoreCodec.session(expirySeconds, 0, owner));
  }

  /** A persistent session lost its connection at {@code atMillis} (epoch): its expiry counts. */
  public void sessionDisconnected(
      String clientId, long expirySeconds, long atMillis, StoreCodec.StoredOwner owner) {
    put(
        StoreKind.SESSIONS,
        StoreCodec.sessionKey(clientId),
        StoreCodec.session(expirySeconds, atMillis, owner));
  }

  /** A session's messages and inbound QoS 2 state are forgotten (clean start). */
  public void sessionCleared(String clientId) {
    byte[] key = StoreCodec.sessionKey(clientId);
    for (StoreKind k :
        new StoreKind[] {StoreKind.QUEUE, StoreKind.INFLIGHT, StoreKind.INBOUND_QOS2}) {
      writer.submit(StoreOp.deletePrefix(k, key));
    }
  }

  /** A session ended: everything of it goes. */
  public void sessionEnded(String clientId) {
    sessionCleared(clientId);
    byte[] key = StoreCodec.sessionKey(clientId);
    writer.submit(StoreOp.deletePrefix(StoreKind.SUBSCRIPTIONS, key));
    writer.submit(StoreOp.delete(StoreKind.WILLS, key));
    writer.submit(StoreOp.delete(StoreKind.SESSIONS, key));
  }

  public void subscribed(String clientId, String filter, SubOptions options) {
    put(
        StoreKind.SUBSCRIPTIONS,
        StoreCodec.stringKey(StoreCodec.sessionKey(clientId), filter),
        StoreCodec.subscription(options));
  }

  public void unsubscribed(String clientId, String filter) {
    writer.submit(
        StoreOp.delete(
            StoreKind.SUBSCRIPTIONS,
            StoreCodec.stringKey(StoreCodec.sessionKey(clientId), filter)));
  }

  // ---- messages -------------------------------------------------------------------------------

  /**
   * Stores a copy of {@code m} for a session, on the publisher's event loop.
   *
   * @return its sequence number (always above 0)
   */
  public long queued(String clientId, Message m, QoS qos, boolean retain, int[] subscriptionIds) {
    long seq = lastSeq.incrementAndGet();
    put(
        StoreKind.QUEUE,
        StoreCodec.seqKey(StoreCodec.sessionKey(clientId), seq),
        StoreCodec.message(stored(m, qos, retain, subscriptionIds)));
    return seq;
  }

  /** A stored message was sent with {@code packetId}; {@code released}: PUBREL was sent. */
  public void sent(String clientId, long seq, int packetId, boolean released) {
    put(
        StoreKind.INFLIGHT,
        StoreCodec.seqKey(StoreCodec.sessionKey(clientId), seq),
        StoreCodec.inflight(packetId, released));
  }

  /** A stored message is done with: acknowledged, dropped or expired. */
  public void done(String clientId, long seq) {
    byte[] key = StoreCodec.seqKey(StoreCodec.sessionKey(clientId), seq);
    writer.submit(StoreOp.delete(StoreKind.QUEUE, key));
    writer.submit(StoreOp.delete(StoreKind.INFLIGHT, key));
  }

  /** An inbound QoS 2 packet id was received ({@code added}) or released by PUBREL. */
  public void inbound(String clientId, int packetId, boolean added) {
    byte[] key = StoreCodec.packetIdKey(StoreCodec.sessionKey(clientId), packetId);
    writer.submit(
        added
            ? StoreOp.put(StoreKind.INBOUND_QOS2, key, StoreCodec.marker())
            : StoreOp.delete(StoreKind.INBOUND_QOS2, key));
  }

  /** A will waits for its delay: it is due at {@code dueAtMillis} (epoch), even across restarts. */
  public void willPending(String clientId, Will will, long dueAtMillis) {
    put(
        StoreKind.WILLS,
        StoreCodec.sessionKey(clientId),
        StoreCodec.message(
            new StoredMessage(
                will.topic(),
                will.qos(),
                will.retain(),
                dueAtMillis,
                null,
                will.properties(),
                will.payload().toByteArray())));
  }

  /** The session's delayed will was published or cancelled. */
  public void willDone(String clientId) {
    writer.submit(StoreOp.delete(StoreKind.WILLS, StoreCodec.sessionKey(clientId)));
  }

  /** A stored will, its due time in {@link StoredMessage#expiresAtMillis}. */
  public static Will will(StoredMessage m) {
    return new Will(
        m.topic(),
        io.starling.codec.packet.BinaryData.of(m.payload()),
        m.qos(),
        m.retain(),
        m.properties());
  }

  /** A retained message was set, or cleared by an empty payload. */
  public void retained(Message m) {
    byte[] key = m.topic().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (!m.payload().isReadable()) {
      writer.submit(StoreOp.delete(StoreKind.RETAINED, key));
    } else {
      put(StoreKind.RETAINED, key, StoreCodec.message(stored(m, m.qos(), true, null)));
    }
  }

  /**
   * Takes a place for one more message kept only on disk for an offline session; false when the
   * global limit ({@code persistence.max_offline_messages}) is reached.
   */
  public boolean reserveOffline() {
    if (offline.incrementAndGet() > maxOffline) {
      offline.decrementAndGet();
      return false;
    }
    return true;
  }

  /** Gives back places taken by {@link #reserveOffline}. */
  public void releaseOffline(long n) {
    offline.addAndGet(-n);
  }

  /** Counts messages found on disk for offline sessions at start-up. */
  public void countOffline(long n) {
    offline.addAndGet(n);
  }

  /**
   * Deletes the oldest stored message of the session that is not in flight (drop_oldest for a queue
   * that lives on disk).
   */
  public void dropOldestQueued(String clientId) {
    byte[] prefix = StoreCodec.sessionKey(clientId);
    writer.read(
        b -> {
          try {
            byte[][] victim = new byte[1][];
            b.scan(
                StoreKind.QUEUE,
                prefix,
                (k, v) -> {
                  boolean[] inflight = new boolean[1];
                  try {
                    b.scan(StoreKind.INFLIGHT, k, (ik, iv) -> !(inflight[0] = true));
                  } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                  if (!inflight[0]) {
                    victim[0] = k;
                  }
                  return victim[0] == null;
                });
            if (victim[0] != null) {
              b.write(List.of(StoreOp.delete(StoreKind.QUEUE, victim[0])), false);
            }
          } catch (Exception e) {
            log.error(
                "cannot drop the oldest message of {} in {}",
                LogText.untrusted(clientId),
                b.location(),
                e);
          }
        });
  }

  /** A stored message and its sequence number. */
  public record Queued(long seq, StoredMessage message) {}

  /**
   * Reads every message stored for the session, in order, and gives them to {@code sink} on the
   * storage thread (which must hand them to the session's loop). Unreadable records are logged and
   * skipped.
   */
  public void loadQueue(String clientId, Consumer<List<Queued>> sink) {
    byte[] prefix = StoreCodec.sessionKey(clientId);
    writer.read(
        b -> {
          List<Queued> out = new ArrayList<>();
          try {
            b.scan(
                StoreKind.QUEUE,
                prefix,
                (k, v) -> {
                  try {
                    out.add(new Queued(StoreCodec.seqOf(k), StoreCodec.message(v)));
                  } catch (RuntimeException e) {
                    log.error(
                        "unreadable queued message of {} in {}: {}",
                        clientId,
                        b.location(),
                        e.toString());
                  }
                  return true;
                });
          } catch (Exception e) {
            log.error(
                "cannot read the queue of {} from {}",
                LogText.untrusted(clientId),
                b.location(),
                e);
          }
          sink.accept(out);
        });
  }

  /**
   * Runs {@code callback} on the storage thread once every change made before this call is durable
   * as the durability setting promises: synced ({@code sync}) or written to the log ({@code
   * periodic}). It must only hand work to an event loop.
   */
  public void afterWrites(Runnable callback) {
    writer.afterWrites(callback);
  }

  /**
   * Whether the storage thread is falling behind: its queue is over half full. Publishers whose
   * messages are stored should pause reading until {@link #whenDrained} calls back. Any thread.
   */
  public boolean isCongested() {
    return writer.isCongested();
  }

  /**
   * Runs {@code resume} (on the storage thread, or at once) when the queue is down to a quarter.
   */
  public void whenDrained(Runnable resume) {
    writer.whenDrained(resume);
  }

  private void put(StoreKind kind, byte[] key, byte[] value) {
    writer.submit(StoreOp.put(kind, key, value));
  }

  // ---- conversions ----------------------------------------------------------------------------

  static StoredMessage stored(Message m, QoS qos, boolean retain, int[] subscriptionIds) {
    ByteBuf p = m.payload();
    byte[] payload = new byte[p.readableBytes()];
    p.getBytes(p.readerIndex(), payload);
    long expires = 0;
    if (m.expiryAtNanos() != 0) {
      long left = TimeUnit.NANOSECONDS.toMillis(m.expiryAtNanos() - System.nanoTime());
      expires = System.currentTimeMillis() + Math.max(0, left);
    }
    return new StoredMessage(
        m.topic(), qos, retain, expires, subscriptionIds, m.properties(), payload);
  }

  /** A stored message as the broker routes it, its expiry moved to this run's clock. */
  public static Message message(StoredMessage s) {
    long expiryAt = 0;
    if (s.expiresAtMillis() != 0) {
      long leftMillis = s.expiresAtMillis() - System.currentTimeMillis();
      expiryAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(leftMillis, 0));
      expiryAt = expiryAt == 0 ? 1 : expiryAt;
    }
    ByteBuf payload = Unpooled.wrappedBuffer(s.payload());
    return new Message(s.topic(), payload, s.qos(), s.retain(), s.properties(), expiryAt, null);
  }

  /** Writes what is queued, syncs, stops the storage thread and closes the backend. */
  @Override
  public void close() {
    writer.stop();
    backend.close();
  }
}
