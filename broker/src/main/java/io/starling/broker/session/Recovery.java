package io.starling.broker.session;

import io.netty.channel.EventLoop;
import io.starling.broker.config.Protocol;
import io.starling.broker.model.Message;
import io.starling.broker.routing.Router;
import io.starling.broker.store.StorageBackend;
import io.starling.broker.store.StoreCorruptException;
import io.starling.broker.store.StoreKind;
import io.starling.broker.store.internal.Persistence;
import io.starling.broker.store.internal.StoreCodec;
import io.starling.broker.store.internal.StoreCodec.StoredInflight;
import io.starling.broker.store.internal.StoreCodec.StoredMessage;
import io.starling.broker.store.internal.StoreCodec.StoredOwner;
import io.starling.broker.store.internal.StoreCodec.StoredSession;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the broker's state from its store at start-up, before the listener opens: sessions
 * (whose expiry kept counting while the broker was down) with their owners, subscriptions, inbound
 * QoS 2 identifiers, messages in flight (resent with DUP when their client returns) and retained
 * messages. Messages queued for offline sessions stay on disk; they are read back when their client
 * connects.
 *
 * <p>Each restored session has its owner's read check from the start, before any client connects:
 * what is routed to it is checked before a copy is stored, and what it kept (in flight, on disk) is
 * checked again before it is sent. A session stored before sessions had owners has none; it gets an
 * anonymous client's read permission until a client connects and adopts it.
 *
 * <p>A record that cannot be read stops start-up with a {@link StoreCorruptException} naming the
 * store, the key space and the key, unless {@code force} is set: then it is skipped (left on disk,
 * logged), together with anything that belongs to a session whose record was unreadable. Records of
 * sessions that ended (a race between a message copy and the session's end) are deleted.
 */
public final class Recovery {
  private static final Logger log = LoggerFactory.getLogger(Recovery.class);

  /** What was restored. */
  public record Result(
      int sessions, int subscriptions, int inflight, long queued, int retained, int skipped) {}

  private final Persistence store;
  private final StorageBackend backend;
  private final boolean force;
  private final Map<String, Session> sessions = new LinkedHashMap<>();
  private final Map<String, Long> expiries = new HashMap<>();
  private final Map<String, StoredOwner> owners = new HashMap<>();
  private final Set<String> unreadable = new HashSet<>();
  private final Map<String, Map<Long, StoredInflight>> inflight = new HashMap<>();
  private final Map<String, Integer> onDisk = new HashMap<>();
  private final Map<String, StoredMessage> wills = new HashMap<>();
  private int skipped;
  private int subscriptionCount;
  private int inflightCount;
  private long queuedCount;
  private int retainedCount;
  private long maxSeq;

  private Recovery(Persistence store, boolean force) {
    this.store = store;
    this.backend = store.backend();
    this.force = force;
  }

  /** Restores everything; see the class comment. */
  public static Result restore(
      Persistence store,
      boolean force,
      SessionRegistry registry,
      Subscriptions subscriptions,
      Router router,
      SessionLifecycle lifecycle,
      Supplier<EventLoop> loops)
      throws StoreCorruptException {
    Recovery r = new Recovery(store, force);
    try {
      r.sessions(registry, loops);
      r.subscriptions(subscriptions);
      r.inflight();
      r.queue();
      r.inbound();
      r.retained(router);
      r.wills();
    } catch (IOException e) {
      throw new StoreCorruptException(
          "cannot read the store in " + r.backend.location() + ": " + e.getMessage(), e);
    }
    for (Session s : r.sessions.values()) {
      SessionOwner owner = SessionStorage.ownerOf(r.owners.get(s.clientId()));
      s.restore(
          r.onDisk.getOrDefault(s.clientId(), 0),
          owner,
          registry.readCheck(owner == null ? SessionOwner.ANONYMOUS : owner, s.clientId()));
      Long left = r.expiries.get(s.clientId());
      if (left != null) {
        lifecycle.expireAfter(s, left);
      }
    }
    store.continueAfter(r.maxSeq);
    long now = System.currentTimeMillis();
    for (Map.Entry<String, StoredMessage> e : r.wills.entrySet()) {
      Session s = r.sessions.get(e.getKey());
      long leftMillis = e.getValue().expiresAtMillis() - now;
      if (leftMillis <= 0) {
        // Due while the broker was down: published now [MQTT-3.1.3-9].
        store.willDone(e.getKey());
        lifecycle.publishWill(Persistence.will(e.getValue()), s);
      } else {
        lifecycle.delayWill(s, Persistence.will(e.getValue()), (leftMillis + 999) / 1000);
      }
    }
    return new Result(
        r.sessions.size(),
        r.subscriptionCount,
        r.inflightCount,
        r.queuedCount,
        r.retainedCount,
        r.skipped);
  }

  /** A record that cannot be read: fatal, or skipped with {@code force}. */
  private void bad(StoreKind kind, byte[] key, RuntimeException e) throws StoreCorruptException {
    String where =
        "unreadable record in "
            + backend.location()
            + " ("
            + kind.storeName()
            + ", key "
            + HexFormat.of().formatHex(key)
            + "): "
            + e.getMessage();
    if (!force) {
      throw new StoreCorruptException(
          where + "; the broker did not start (start it with --force-start to skip such records)");
    }
    skipped++;
    log.error("{}; skipped and left on disk (force start)", where);
  }

  private interface Reader {
    void read(byte[] key, byte[] value) throws StoreCorruptException;
  }

  /** Scans a key space, turning decoding errors into {@link #bad}. */
  private void scan(StoreKind kind, Reader reader) throws IOException, StoreCorruptException {
    StoreCorruptException[] fatal = new StoreCorruptException[1];
    backend.scan(
        kind,
        new byte[0],
        (k, v) -> {
          try {
            reader.read(k, v);
          } catch (StoreCorruptException e) {
            fatal[0] = e;
            return false;
          } catch (RuntimeException e) {
            try {
              bad(kind, k, e);
            } catch (StoreCorruptException stop) {
              fatal[0] = stop;
              return false;
            }
          }
          return true;
        });
    if (fatal[0] != null) {
      throw fatal[0];
    }
  }

  private String clientOf(StoreKind kind, byte[] key) throws StoreCorruptException {
    try {
      return StoreCodec.clientIdOf(key);
    } catch (RuntimeException e) {
      bad(kind, key, e);
      return null;
    }
  }

  private void sessions(SessionRegistry registry, Supplier<EventLoop> loops)
      throws IOException, StoreCorruptException {
    long now = System.currentTimeMillis();
    scan(
        StoreKind.SESSIONS,
        (k, v) -> {
          String id = clientOf(StoreKind.SESSIONS, k);
          if (id == null) {
            return;
          }
          StoredSession s;
          try {
            s = StoreCodec.session(v);
          } catch (RuntimeException e) {
            unreadable.add(id);
            throw e;
          }
          Long left = null;
          if (s.expirySeconds() != Protocol.NEVER_EXPIRES) {
            // A session connected when the broker stopped counts from now; one that was offline
            // kept counting while the broker was down.
            long since = s.disconnectedAtMillis() == 0 ? now : s.disconnectedAtMillis();
            left = s.expirySeconds() - Math.max(0, now - since) / 1000;
            if (left <= 0) {
              store.sessionEnded(id);
              return;
            }
          }
          sessions.put(id, registry.getOrCreate(id, loops.get()));
          if (s.owner() != null) {
            owners.put(id, s.owner());
          }
          if (left != null) {
            expiries.put(id, left);
          }
        });
  }

  /** The restored session a record belongs to; null (and the record deleted) for an orphan. */
  private Session owner(String id, Runnable deleteOrphan) {
    Session s = id == null ? null : sessions.get(id);
    if (s == null && id != null && !unreadable.contains(id)) {
      deleteOrphan.run();
    }
    return s;
  }

  private void subscriptions(Subscriptions subscriptions)
      throws IOException, StoreCorruptException {
    scan(
        StoreKind.SUBSCRIPTIONS,
        (k, v) -> {
          String id = clientOf(StoreKind.SUBSCRIPTIONS, k);
          String filter = StoreCodec.suffixString(k);
          Session s = owner(id, () -> store.unsubscribed(id, filter));
          if (s != null) {
            subscriptions.restore(s, filter, StoreCodec.subscription(v));
            subscriptionCount++;
          }
        });
  }

  private void inflight() throws IOException, StoreCorruptException {
    scan(
        StoreKind.INFLIGHT,
        (k, v) -> {
          String id = clientOf(StoreKind.INFLIGHT, k);
          long seq = StoreCodec.seqOf(k);
          StoredInflight f = StoreCodec.inflight(v);
          if (owner(id, () -> store.done(id, seq)) != null) {
            inflight.computeIfAbsent(id, x -> new HashMap<>()).put(seq, f);
          }
        });
  }

  private void queue() throws IOException, StoreCorruptException {
    scan(
        StoreKind.QUEUE,
        (k, v) -> {
          String id = clientOf(StoreKind.QUEUE, k);
          long seq = StoreCodec.seqOf(k);
          maxSeq = Math.max(maxSeq, seq);
          // Decoded even when it stays on disk: a corrupt record is found now, not when its
          // client returns.
          StoredMessage m = StoreCodec.message(v);
          Session s = owner(id, () -> store.done(id, seq));
          if (s == null) {
            return;
          }
          Map<Long, StoredInflight> mine = inflight.get(id);
          StoredInflight f = mine == null ? null : mine.get(seq);
          if (f == null) {
            onDisk.merge(id, 1, Integer::sum);
            queuedCount++;
          } else {
            Message msg = Persistence.message(m);
            s.flow()
                .restoreInflight(
                    msg, m.qos(), m.retain(), m.subscriptionIds(), seq, f.packetId(), f.released());
            inflightCount++;
          }
        });
  }

  private void inbound() throws IOException, StoreCorruptException {
    scan(
        StoreKind.INBOUND_QOS2,
        (k, v) -> {
          String id = clientOf(StoreKind.INBOUND_QOS2, k);
          int packetId = StoreCodec.packetIdOf(k);
          Session s = owner(id, () -> store.inbound(id, packetId, false));
          if (s != null) {
            s.inboundQos2().add(packetId);
          }
        });
  }

  private void wills() throws IOException, StoreCorruptException {
    scan(
        StoreKind.WILLS,
        (k, v) -> {
          String id = clientOf(StoreKind.WILLS, k);
          StoredMessage m = StoreCodec.message(v);
          if (owner(id, () -> store.willDone(id)) != null) {
            wills.put(id, m);
          }
        });
  }

  private void retained(Router router) throws IOException, StoreCorruptException {
    long now = System.nanoTime();
    scan(
        StoreKind.RETAINED,
        (k, v) -> {
          Message m = Persistence.message(StoreCodec.message(v));
          if (m.isExpired(now)) {
            store.retained(m.withPayload(io.netty.buffer.Unpooled.EMPTY_BUFFER));
          } else if (router.retained().put(m)) {
            retainedCount++;
          } else {
            // Over the retained limits (lowered since it was stored): not kept on disk either.
            store.retained(m.withPayload(io.netty.buffer.Unpooled.EMPTY_BUFFER));
          }
          m.payload().release();
        });
  }
}
