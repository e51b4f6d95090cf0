package io.starling.broker.transport;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Ticker;
import io.starling.broker.threading.EventLoopOnly;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The timers of every connection on one event loop: connect timeouts and keep-alive checks. A
 * scheduled task per connection costs a {@code ScheduledFutureTask} and a slot in the loop's
 * priority queue on every idle connection (about 100 bytes each); here a connection's timer is its
 * {@link Entry}, three fields in an object it has anyway, and the loop runs one task per {@link
 * #TICK_NANOS tick} while any timer is set, none otherwise.
 *
 * <pre>
 *   slots[0]  slots[1]  ...  slots[SLOTS - 1]      one slot per tick, reused every SLOTS ticks
 *     |         |
 *   entry     entry <-> entry <-> entry            each slot a doubly linked list of entries
 * </pre>
 *
 * An entry due at time t sits in the slot of the first tick at or after t; a tick runs the entries
 * of its slot that are due (those a revolution or more ahead stay). So a timer never fires early,
 * and at most one tick late (plus however late the loop runs the tick task). A tick that runs late
 * catches up every slot it passed.
 *
 * <p>Time is the executor's {@link Ticker}, the clock its scheduled tasks run by, so that a test on
 * an {@code EmbeddedChannel} with frozen time drives the wheel exactly. One instance per event loop
 * (and listener); runs on that loop only.
 */
@EventLoopOnly
final class TimerWheel {
  /** The resolution: a timer fires at most this much after it is due. */
  static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  /** {@link Entry#dueTick} of an entry taken off the wheel to run in the current tick. */
  private static final long FIRING = -2;

  private static final Logger log = LoggerFactory.getLogger(TimerWheel.class);

  /** Slots: 512 ticks of 250 ms, a revolution of 128 s, longer than most keep-alives. */
  private static final int SLOTS = 512;

  /** A timer on the wheel: the object that owns it extends this (no other object per timer). */
  abstract static class Entry {
    private Entry prev;
    private Entry next;

    /** The tick the entry is due at; negative while it is not on a wheel. */
    private long dueTick = -1;

    /** Runs on the loop when the entry is due; it is off the wheel by then and may go back on. */
    abstract void onDue();

    /** Whether the entry is on the wheel. */
    final boolean isScheduled() {
      return dueTick >= 0;
    }
  }

  private final EventExecutor executor;
  private final Ticker ticker;
  private final Entry[] slots = new Entry[SLOTS];
  private final Runnable tick = this::tick;

  /** The entries of the slot being run; kept to be reused. */
  private final ArrayList<Entry> due = new ArrayList<>();

  /** The executor's time when the wheel was made: tick 0. */
  private final long originNanos;

  /** The last tick whose slot was run. */
  private long doneTick;

  private int size;
  private boolean tickScheduled;

  TimerWheel(EventExecutor executor) {
    this.executor = executor;
    this.ticker = executor.ticker();
    this.originNanos = ticker.nanoTime();
  }

  /** The executor's clock, in nanoseconds. */
  long nanoTime() {
    return ticker.nanoTime();
  }

  /** How many timers are set. */
  int size() {
    return size;
  }

  /** Sets {@code e} to run {@code delayNanos} from now, replacing its earlier time if any. */
  void schedule(Entry e, long delayNanos) {
    cancel(e);
    long dueNanos = ticker.nanoTime() - originNanos + Math.max(0, delayNanos);
    // The first tick at or after the due time, and never one already run.
    long due = Math.max(ceilDiv(dueNanos, TICK_NANOS), doneTick + 1);
    e.dueTick = due;
    int slot = (int) (due % SLOTS);
    Entry head = slots[slot];
    e.next = head;
    if (head != null) {
      head.prev = e;
    }
    slots[slot] = e;
    if (size++ == 0 && !tickScheduled) {
      scheduleTick();
    }
  }

  /** Takes {@code e} off the wheel; nothing if it is not on it. */
  void cancel(Entry e) {
    if (e.dueTick < 0) {
      e.dueTick = -1; // also a due entry that has not run yet: it will not
      return;
    }
    if (e.prev != null) {
      e.prev.next = e.next;
    } else {
      slots[(int) (e.dueTick % SLOTS)] = e.next;
    }
    if (e.next != null) {
      e.next.prev = e.prev;
    }
    e.prev = null;
    e.next = null;
    e.dueTick = -1;
    size--;
  }

  private void scheduleTick() {
    tickScheduled = true;
    long now = ticker.nanoTime() - originNanos;
    long nextTickNanos = (now / TICK_NANOS + 1) * TICK_NANOS;
    executor.schedule(tick, nextTickNanos - now, TimeUnit.NANOSECONDS);
  }

  /** Runs every slot from the last one run up to now, then waits for the next tick if needed. */
  private void tick() {
    tickScheduled = false;
    long current = (ticker.nanoTime() - originNanos) / TICK_NANOS;
    while (doneTick < current) {
      runSlot(doneTick + 1);
      doneTick++;
    }
    if (size > 0) {
      scheduleTick();
    }
  }

  /**
   * Takes the due entries of a slot off the wheel first, then runs them: what one runs may cancel
   * or move another's timer (it then does not run), but never breaks the walk.
   */
  private void runSlot(long t) {
    int slot = (int) (t % SLOTS);
    for (Entry e = slots[slot]; e != null; ) {
      Entry next = e.next;
      if (e.dueTick <= t) {
        cancel(e);
        e.dueTick = FIRING;
        due.add(e);
      }
      e = next;
    }
    for (int i = 0; i < due.size(); i++) {
      Entry e = due.get(i);
      if (e.dueTick != FIRING) {
        continue; // cancelled or set again by an entry that ran before it
      }
      e.dueTick = -1;
      try {
        e.onDue();
      } catch (RuntimeException ex) {
        // One connection's fault must not stop every other timer of the loop.
        log.error("a connection timer failed", ex);
      }
    }
    due.clear();
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }
}
