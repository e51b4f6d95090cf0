package io.starling.broker.session;

import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.config.BrokerConfig.QueueOverflow;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.Message;
import io.starling.broker.model.SubOptions;
import io.starling.broker.store.internal.Persistence;
import io.starling.broker.store.internal.StoreCodec.StoredOwner;
import io.starling.codec.packet.Will;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The durable side of one {@link Session}: what it records in the store, the messages that wait on
 * disk while it is offline, and reading them back when a connection attaches.
 *
 * <p>Threading: owned by its session and confined to the session's owner loop. Publishers' loops
 * learn whether this session is stored from {@link StoredCopies}, which this class keeps informed.
 */
final class SessionStorage {
  private final Session session;
  private final String clientId;
  private final Limits limits;
  private final BrokerStats stats;

  /** The store, or null when persistence is off. */
  private final Persistence store;

  /** Routing's view of which sessions are stored, or null when persistence is off. */
  private final StoredCopies copies;

  /**
   * Whether copies of QoS 1/2 messages routed to this session are stored (a persistent session with
   * persistence on); mirrored in {@link StoredCopies} for publishers' loops.
   */
  private boolean stored;

  // Owner-confined store state: messages that arrived while offline live only on disk (counted
  // here) until a connection attaches and they are read back.
  private int onDisk;
  private boolean loading;
  private int loadSplit;
  private int loadToken;

  /**
   * While reading back: the stored copies held in memory when the connection attached (restored
   * in-flight messages may complete before the read-back arrives, yet are in what it reads).
   */
  private Set<Long> heldAtAttach;

  /**
   * After reading back: the copies read, until the connection ends. A copy routed just before the
   * read may still be on its way through a mailbox; when it arrives it is already queued.
   */
  private Set<Long> readBack;

  SessionStorage(
      Session session, String clientId, Limits limits, BrokerStats stats, StoredCopies copies) {
    this.session = session;
    this.clientId = clientId;
    this.limits = limits;
    this.stats = stats;
    this.copies = copies;
    this.store = copies == null ? null : copies.store();
  }

  private void setStored(boolean on) {
    stored = on;
    copies.markStored(clientId, on);
  }

  /** Whether persistence is on. */
  boolean isEnabled() {
    return store != null;
  }

  /** Whether this session's state is being stored. */
  boolean isStored() {
    return stored;
  }

  /** Whether messages read back from disk are awaited: nothing queued may be sent before them. */
  boolean isLoading() {
    return loading;
  }

  /**
   * On attach, before the connection is set: starts reading back the messages kept on disk while
   * offline, and stores the session record of a persistent session (or drops the records of one
   * kept for this connection only).
   */
  void attach(long expirySeconds) {
    boolean persistent = expirySeconds > 0;
    boolean mustRead = store != null && onDisk > 0;
    if (mustRead) {
      loading = true;
      loadSplit = session.flow().queue().size();
      heldAtAttach = new HashSet<>();
      for (OutboundMessage m : session.flow().inflight().messages()) {
        heldAtAttach.add(m.seq);
      }
      for (OutboundMessage m : session.flow().queue().contents()) {
        heldAtAttach.add(m.seq);
      }
      int token = ++loadToken;
      store.loadQueue(clientId, list -> session.execute(() -> onLoaded(list, token)));
    }
    if (store != null) {
      if (persistent) {
        setStored(true);
        store.sessionConnected(clientId, expirySeconds, storedOwner());
      } else if (stored) {
        // Kept for this connection only: its records go (after the read-back above).
        setStored(false);
        store.sessionEnded(clientId);
      }
    }
  }

  /** The connection ended: copies arriving late can no longer be duplicates of those read back. */
  void detach() {
    readBack = null;
  }

  /** The session ends: its records go. */
  void destroy() {
    if (stored) {
      setStored(false);
      store.sessionEnded(clientId);
    }
  }

  /** The session forgot its messages and inbound QoS 2 state: so do the store and the disk. */
  void clearMessages() {
    if (stored) {
      store.sessionCleared(clientId);
    }
    dropOnDisk();
  }

  private void dropOnDisk() {
    loading = false;
    heldAtAttach = null;
    readBack = null;
    loadToken++;
    if (onDisk > 0) {
      stats.queuedMessages.addAndGet(-onDisk);
      store.releaseOffline(onDisk);
      onDisk = 0;
    }
  }

  /**
   * Takes the stored copy {@code seq} of a message delivered on the owner: returns {@code seq}, or
   * 0 (having forgotten the copy) when the session stopped being stored after the copy was made.
   */
  long accept(long seq) {
    if (seq != 0 && !stored) {
      forget(seq); // the session stopped being stored after the copy was made
      return 0;
    }
    return seq;
  }

  /** Whether copy {@code seq} was read back from disk already (it is arriving late), once. */
  boolean wasReadBack(long seq) {
    return seq != 0 && readBack != null && readBack.remove(seq);
  }

  void recordSubscribe(String filter, SubOptions options) {
    if (stored) {
      store.subscribed(clientId, filter, options);
    }
  }

  void recordUnsubscribe(String filter) {
    if (stored) {
      store.unsubscribed(clientId, filter);
    }
  }

  void recordInbound(int packetId, boolean added) {
    if (stored) {
      store.inbound(clientId, packetId, added);
    }
  }

  void recordDisconnected(long expirySeconds) {
    if (stored && expirySeconds > 0) {
      store.sessionDisconnected(clientId, expirySeconds, System.currentTimeMillis(), storedOwner());
    }
  }

  /** The session's owner as the store keeps it (anonymous while it has none). */
  private StoredOwner storedOwner() {
    SessionOwner who = session.sessionOwner();
    if (who == null) {
      who = SessionOwner.ANONYMOUS;
    }
    return new StoredOwner(who.username(), who.publishGrants(), who.subscribeGrants());
  }

  /** The owner a stored owner stands for; {@code null} for a record without one. */
  static SessionOwner ownerOf(StoredOwner owner) {
    return owner == null
        ? null
        : new SessionOwner(owner.username(), owner.publishGrants(), owner.subscribeGrants());
  }

  void recordPendingWill(Will will, long seconds) {
    if (stored) {
      store.willPending(clientId, will, System.currentTimeMillis() + seconds * 1000);
    }
  }

  /** The pending will was published or dropped. */
  void recordWillDone() {
    if (stored) {
      store.willDone(clientId);
    }
  }

  /** Restores the stored state found at start-up: {@code onDisk} messages wait on disk. */
  void restore(int onDisk) {
    setStored(true);
    this.onDisk = onDisk;
    stats.queuedMessages.addAndGet(onDisk);
    store.countOffline(onDisk);
  }

  /** Forgets the stored copy {@code seq}, if there is one. */
  void forget(long seq) {
    if (seq != 0 && store != null) {
      store.done(clientId, seq);
    }
  }

  /**
   * Records that stored copy {@code seq} is in flight with {@code packetId} ({@code released}: its
   * PUBREL is due), then runs {@code then} on the owner once the store knows.
   */
  void sent(long seq, int packetId, boolean released, Runnable then) {
    store.sent(clientId, seq, packetId, released);
    store.afterWrites(() -> session.execute(then));
  }

  /**
   * Records that stored copy {@code seq} went out as {@code packetId}, without waiting for it to be
   * durable (QoS 1: see {@link Session}).
   */
  void sentWithoutWaiting(long seq, int packetId) {
    store.sent(clientId, seq, packetId, false);
  }

  /** An offline session gets a stored message: it stays on disk, within the limits. */
  void keepOnDisk(long seq) {
    if (session.flow().queue().size() + onDisk >= limits.maxQueuedMessages()) {
      stats.queueOverflowDropped.increment();
      if (limits.queueOverflow() == QueueOverflow.DROP_NEW) {
        forget(seq);
        return;
      }
      if (session.flow().queue().size() > 0) {
        session.flow().queue().dropOldest(session.flow()::discard);
      } else {
        store.dropOldestQueued(clientId);
        onDisk--;
        stats.queuedMessages.decrementAndGet();
        store.releaseOffline(1);
      }
    }
    if (!store.reserveOffline()) {
      // persistence.max_offline_messages reached: the newest message is the one dropped.
      stats.queueOverflowDropped.increment();
      forget(seq);
      return;
    }
    onDisk++;
    stats.queuedMessages.incrementAndGet();
  }

  /**
   * The messages read back from disk: they go after what was queued in memory when the connection
   * attached and before what came since, skipping those held in memory already.
   */
  private void onLoaded(List<Persistence.Queued> loaded, int token) {
    if (token != loadToken || session.isDestroyed()) {
      return;
    }
    loading = false;
    Set<Long> inMemory = heldAtAttach == null ? new HashSet<>() : heldAtAttach;
    heldAtAttach = null;
    readBack = new HashSet<>();
    for (OutboundMessage m : session.flow().inflight().messages()) {
      inMemory.add(m.seq);
    }
    ArrayDeque<OutboundMessage> old = session.flow().queue().contents();
    ArrayDeque<OutboundMessage> merged = new ArrayDeque<>(Math.max(8, old.size() + loaded.size()));
    for (OutboundMessage m : old) {
      inMemory.add(m.seq);
    }
    for (int i = 0; i < loadSplit && !old.isEmpty(); i++) {
      merged.addLast(old.pollFirst());
    }
    int added = 0;
    for (Persistence.Queued q : loaded) {
      if (!inMemory.contains(q.seq())) {
        Message msg = Persistence.message(q.message());
        OutboundMessage m =
            new OutboundMessage(
                msg, msg.qos(), q.message().retain(), q.message().subscriptionIds(), null);
        m.seq = q.seq();
        merged.addLast(m);
        readBack.add(q.seq());
        added++;
      }
    }
    merged.addAll(old);
    stats.queuedMessages.addAndGet(added - onDisk);
    store.releaseOffline(onDisk);
    onDisk = 0;
    session.flow().readBackDone(merged);
  }
}
