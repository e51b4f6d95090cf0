package io.starling.broker.routing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.ThreadExecutorMap;
import io.starling.broker.extension.Hooks;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.Message;
import io.starling.broker.model.SubOptions;
import io.starling.broker.threading.AnyThread;
import io.starling.codec.QoS;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * Routes application messages to matching subscriptions and keeps retained messages.
 *
 * <p>Each subscribing session gets a message once, at the highest QoS granted among its matching
 * subscriptions (3.1.1 section 3.3.5 allows once per subscription or once overall; Starling chooses
 * once). Deliveries collect in the calling thread's outbox, grouped by the event loop that owns
 * each session, until {@link #dispatch()}: then the calling loop serves its own sessions directly
 * and every other loop gets one batch, so a read batch of many PUBLISH packets costs each
 * destination loop one hand-off.
 *
 * <p>Threading: every method may be called from any thread. Each thread routes into its own outbox
 * (a thread-local), so {@link #publish} and {@link #dispatch} of one batch must be called on the
 * same thread; the topic index is read lock-free and changed under the index's own rules.
 *
 * <p>Established subscriptions get RETAIN 0 [MQTT-3.3.1-9], unless they asked for retain as
 * published [MQTT-3.3.1-12]. A session subscribed with no local never gets its own messages
 * [MQTT-3.8.3-3]. When a message matches several subscriptions of one session, its one copy carries
 * all their subscription identifiers [MQTT-3.3.4-3]. Shared subscriptions ({@link SharedGroup}) get
 * each message once per group.
 *
 * <p>Each subscriber's read permission ({@link Subscriber#mayReceive}) is checked here, on the
 * publisher's loop, before anything is stored for it: a message the ACL withholds from a persistent
 * session is never written to its queue on disk, and a shared group picks only among members that
 * may read the message.
 */
public final class Router {
  /** Deliveries collected beyond this many are dispatched at once, to bound latency. */
  private static final int MAX_UNDISPATCHED = 4096;

  private final TopicTree<Subscriber, SubOptions> subscriptions = new TopicTree<>();
  private final TopicTree<SharedGroup, Boolean> shared = new TopicTree<>();
  private final Map<String, SharedGroup> groups = new ConcurrentHashMap<>();
  private final RetainedStore retained;

  /** Durable storage's part in routing, or null when persistence is off. */
  private final DurableCopies store;

  private final Hooks hooks;
  private final BrokerStats stats;

  private final Map<EventLoop, Mailbox> mailboxes = new ConcurrentHashMap<>();
  private final FastThreadLocal<Outbox> outboxes =
      new FastThreadLocal<>() {
        @Override
        protected Outbox initialValue() {
          return new Outbox();
        }
      };

  /** A router without persistence. */
  public Router() {
    this(null);
  }

  /**
   * A router that hands retained messages, and copies of messages for stored subscribers, to {@code
   * store} (null: persistence off).
   */
  public Router(DurableCopies store) {
    this(store, Hooks.NONE);
  }

  /** A router that also hands messages nobody subscribed to to {@code hooks}. */
  public Router(DurableCopies store, Hooks hooks) {
    this(store, hooks, new BrokerStats());
  }

  /** A router that also counts the deliveries read permissions withhold in {@code stats}. */
  public Router(DurableCopies store, Hooks hooks, BrokerStats stats) {
    this(store, hooks, stats, new RetainedStore());
  }

  /**
   * A router that counts in {@code stats} and whose retained messages live in {@code retained}
   * (with its limits).
   */
  public Router(DurableCopies store, Hooks hooks, BrokerStats stats, RetainedStore retained) {
    this.store = store;
    this.hooks = hooks;
    this.stats = stats;
    this.retained = retained;
  }

  @AnyThread
  public TopicTree<Subscriber, SubOptions> subscriptions() {
    return subscriptions;
  }

  @AnyThread
  public RetainedStore retained() {
    return retained;
  }

  /**
   * Adds {@code session} to the shared subscription {@code $share/{shareName}/{filter}}.
   *
   * @return true if it was a member already (its options are replaced)
   */
  @AnyThread
  public synchronized boolean joinShared(
      String shareName, String filter, Subscriber session, SubOptions options) {
    SharedGroup g =
        groups.computeIfAbsent(
            shareName + '/' + filter,
            k -> {
              SharedGroup created = new SharedGroup(shareName, filter);
              shared.subscribe(filter, created, Boolean.TRUE);
              return created;
            });
    return g.put(session, options);
  }

  /** Removes {@code session} from a shared subscription; returns true if it was a member. */
  @AnyThread
  public synchronized boolean leaveShared(String shareName, String filter, Subscriber session) {
    String key = shareName + '/' + filter;
    SharedGroup g = groups.get(key);
    if (g == null || !g.remove(session)) {
      return false;
    }
    if (g.isEmpty()) {
      groups.remove(key);
      shared.unsubscribe(filter, g);
    }
    return true;
  }

  /** The shared subscription group, or {@code null} (for tests). */
  @AnyThread
  public SharedGroup sharedGroup(String shareName, String filter) {
    return groups.get(shareName + '/' + filter);
  }

  /** Routes a message without properties; see {@link #publish(Message)}. */
  @AnyThread
  public int publish(String topic, ByteBuf payload, QoS qos, boolean retain) {
    return publish(Message.of(topic, payload, qos, retain));
  }

  /**
   * Routes a message to its subscribers (delivered at the next {@link #dispatch()} on this thread),
   * and stores or clears it as the retained message of its topic if its RETAIN flag is set. Does
   * not take ownership of the payload.
   *
   * @return the number of deliveries: sessions plus shared subscription groups
   */
  @AnyThread
  public int publish(Message m) {
    if (m.retain()) {
      // A message over the retained limits is not kept, and neither is the one it replaced: the
      // store clears the topic too.
      boolean kept = retained.put(m);
      if (store != null) {
        store.retained(kept ? m : m.withPayload(Unpooled.EMPTY_BUFFER));
      }
    }
    Outbox box = outboxes.get();
    box.current = m;
    subscriptions.match(m.topic(), box.collector);
    int n = dedupe(box);
    for (int i = 0; i < n; i++) {
      Subscriber s = box.matched.get(i);
      if (!s.mayReceive(m.topic())) {
        // The ACL withholds the topic from this subscriber (a wide subscription over a denied
        // topic): nothing goes to it, and nothing is stored for it.
        stats.deliveriesDenied.increment();
        continue;
      }
      SubOptions o = box.options.get(i);
      int[] ids = box.mergedIds(i);
      if (ids == null && o.subscriptionId() != 0) {
        ids = new int[] {o.subscriptionId()};
      }
      add(box, s, m, o, ids, null);
    }
    box.clearMatches();
    if (!groups.isEmpty()) {
      shared.match(m.topic(), box.groupCollector);
      for (SharedGroup g : box.groups) {
        if (toGroup(box, g, m)) {
          n++;
        }
      }
      box.groups.clear();
    }
    box.current = null;
    if (n == 0 && hooks.hasNoSubscriber() && !m.topic().startsWith("$")) {
      hooks.noSubscriber(m); // the plug point for messages nobody subscribed to
    }
    if (box.size >= MAX_UNDISPATCHED) {
      dispatch();
    }
    return n;
  }

  /**
   * Routes a message of a shared subscription again, to a member other than {@code leaving} (a
   * member whose connection ended before it was acknowledged). Delivered at the next {@link
   * #dispatch()}.
   *
   * @return false if no other member could take it
   */
  @AnyThread
  public boolean reroute(SharedGroup group, Message m, Subscriber leaving) {
    SharedGroup.Member member = group.pick(leaving, m.topic());
    if (member == null || !member.subscriber().isOnline()) {
      return false; // moving it to another offline session gains nothing
    }
    toMember(outboxes.get(), group, member, m);
    return true;
  }

  private boolean toGroup(Outbox box, SharedGroup g, Message m) {
    SharedGroup.Member member = g.pick(null, m.topic());
    if (member == null) {
      if (!g.isEmpty()) {
        stats.deliveriesDenied.increment(); // no member may read it
      }
      return false;
    }
    toMember(box, g, member, m);
    return true;
  }

  private void toMember(Outbox box, SharedGroup g, SharedGroup.Member member, Message m) {
    SubOptions o = member.options();
    int[] ids = o.subscriptionId() == 0 ? null : new int[] {o.subscriptionId()};
    add(box, member.subscriber(), m, o, ids, g);
  }

  private void add(Outbox box, Subscriber s, Message m, SubOptions o, int[] ids, SharedGroup g) {
    QoS out = QoS.min(m.qos(), o.qos());
    boolean retain = m.retain() && o.retainAsPublished();
    // A copy for a persistent session is stored here, on the publisher's loop, so that it is
    // written before the publisher's acknowledgement (which waits for the store).
    long seq =
        store == null || out == QoS.AT_MOST_ONCE ? 0 : store.storeCopy(s, m, out, retain, ids);
    box.add(s.owner(), new Delivery(s, m, out, retain, ids, g, seq));
    if (out != QoS.AT_MOST_ONCE && box.congested == null && s.isCongested()) {
      box.congested = s.backpressure();
    }
  }

  /**
   * Keeps one entry per session: the highest QoS among its entries, retain as published if any
   * asked for it, and all their subscription identifiers; returns the count. A session rarely has
   * overlapping subscriptions, so small lists are scanned in place.
   */
  private static int dedupe(Outbox box) {
    List<Subscriber> sessions = box.matched;
    List<SubOptions> options = box.options;
    int n = sessions.size();
    if (n < 2) {
      return n;
    }
    Map<Subscriber, Integer> firstIndex = n > 16 ? new IdentityHashMap<>(n * 2) : null;
    int kept = 0;
    for (int i = 0; i < n; i++) {
      Subscriber s = sessions.get(i);
      int seen = -1;
      if (firstIndex != null) {
        Integer at = firstIndex.putIfAbsent(s, kept);
        seen = at == null ? -1 : at;
      } else {
        for (int j = 0; j < kept; j++) {
          if (sessions.get(j) == s) {
            seen = j;
            break;
          }
        }
      }
      if (seen < 0) {
        sessions.set(kept, s);
        options.set(kept, options.get(i));
        kept++;
      } else {
        box.merge(seen, options.get(i));
      }
    }
    return kept;
  }

  /**
   * Delivers everything this thread routed since the last call: its own loop's sessions now, other
   * loops through their mailboxes.
   *
   * @return a mailbox or subscriber that is now congested (the publisher should pause reading until
   *     {@link Backpressure#whenDrained}), or {@code null}
   */
  @AnyThread
  public Backpressure dispatch() {
    Outbox box = outboxes.get();
    Backpressure congested = box.congested;
    box.congested = null;
    if (box.size == 0) {
      return congested;
    }
    int kept = 0;
    int keptSize = 0;
    for (int i = 0; i < box.loops.size(); i++) {
      EventLoop loop = box.loops.get(i);
      List<Delivery> batch = box.batches.remove(loop);
      if (loop.inEventLoop()) {
        Mailbox.deliver(batch, box.touched);
        Mailbox.flush(box.touched);
        continue;
      }
      Mailbox m = mailboxes.computeIfAbsent(loop, Mailbox::new);
      if (m.post(batch)) {
        congested = m.isCongested() ? m : congested;
        continue;
      }
      // Full: the batch stays here, ahead of what this thread routes to that loop next, and goes
      // again once the mailbox drains; meanwhile the publisher is paused.
      box.batches.put(loop, batch);
      box.loops.set(kept++, loop);
      keptSize += batch.size();
      congested = m;
      retryWhenDrained(box, m);
    }
    box.loops.subList(kept, box.loops.size()).clear();
    box.size = keptSize;
    return congested;
  }

  /** Dispatches again on this thread's loop once {@code full} drains (one retry at a time). */
  private void retryWhenDrained(Outbox box, Mailbox full) {
    if (box.retryPending) {
      return;
    }
    EventExecutor self = ThreadExecutorMap.currentExecutor();
    if (self == null) {
      return; // not an event loop (start-up): the next dispatch on this thread posts it
    }
    box.retryPending = true;
    full.whenDrained(
        () ->
            self.execute(
                () -> {
                  box.retryPending = false;
                  dispatch();
                }));
  }

  /** One thread's deliveries not yet dispatched, by destination loop. */
  private static final class Outbox {
    final Map<EventLoop, List<Delivery>> batches = new IdentityHashMap<>();
    final List<EventLoop> loops = new ArrayList<>();
    final List<Subscriber> matched = new ArrayList<>();
    final List<SubOptions> options = new ArrayList<>();
    final List<SharedGroup> groups = new ArrayList<>();
    final List<Subscriber> touched = new ArrayList<>();

    /** Subscription identifiers of sessions matched more than once, by kept index; or null. */
    List<int[]> merged;

    /** The message being matched. */
    Message current;

    final BiConsumer<Subscriber, SubOptions> collector =
        (session, o) -> {
          if (!(o.noLocal() && session.clientId().equals(current.originClientId()))) {
            matched.add(session);
            options.add(o);
          }
        };
    final BiConsumer<SharedGroup, Boolean> groupCollector = (g, unused) -> groups.add(g);

    /** A subscriber routed a QoS 1/2 message to while its queue was over its high-water mark. */
    Backpressure congested;

    /** Deliveries routed and not yet dispatched (including batches a full mailbox refused). */
    int size;

    /** A dispatch is due once a full mailbox drains. */
    boolean retryPending;

    void merge(int kept, SubOptions other) {
      SubOptions first = options.get(kept);
      int[] ids = mergedIds(kept);
      if (ids == null) {
        ids = first.subscriptionId() == 0 ? new int[0] : new int[] {first.subscriptionId()};
      }
      if (other.subscriptionId() != 0) {
        ids = java.util.Arrays.copyOf(ids, ids.length + 1);
        ids[ids.length - 1] = other.subscriptionId();
      }
      if (merged == null) {
        merged = new ArrayList<>();
      }
      while (merged.size() <= kept) {
        merged.add(null);
      }
      merged.set(kept, ids);
      options.set(
          kept,
          SubOptions.of(
              first.qos().ordinal() >= other.qos().ordinal() ? first.qos() : other.qos(),
              false,
              first.retainAsPublished() || other.retainAsPublished(),
              0));
    }

    int[] mergedIds(int kept) {
      if (merged == null || kept >= merged.size()) {
        return null;
      }
      int[] ids = merged.get(kept);
      return ids == null || ids.length > 0 ? ids : null;
    }

    void clearMatches() {
      matched.clear();
      options.clear();
      merged = null;
    }

    void add(EventLoop loop, Delivery d) {
      List<Delivery> batch = batches.get(loop);
      if (batch == null) {
        batch = new ArrayList<>();
        batches.put(loop, batch);
        loops.add(loop);
      }
      // One payload reference per run of deliveries of one message in one batch.
      if (batch.isEmpty() || batch.get(batch.size() - 1).message() != d.message()) {
        d.message().payload().retain();
      }
      batch.add(d);
      size++;
    }
  }
}
