package io.starling.broker.store.internal;

import io.starling.broker.store.StorageBackend;
import io.starling.broker.store.StoreOp;
import io.starling.broker.threading.AnyThread;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage thread: takes changes from any thread, applies them in the order they came, in
 * batches, and runs callbacks once the changes before them are durable. Group commit: whatever
 * arrived while the previous batch was being written goes into the next batch, which costs one
 * write and (for {@code sync}) one fsync, however many publishers it serves.
 *
 * <p>Nothing ever blocks the callers: {@link #submit} and {@link #afterWrites} only enqueue.
 * Callbacks run on this thread and must hand their work to an event loop at once.
 *
 * <p>The queue is bounded: an array of {@value #CAPACITY} entries. Over half full it is congested
 * ({@link #isCongested}): publishers whose messages are stored stop being read until it is down to
 * a quarter ({@link #whenDrained}), so the storage thread sets the pace. If it fills up all the
 * same (a burst of copies no pause can stop, such as one message to more persistent sessions than
 * there is room), nothing more can be promised: the store fails as on a write error, no QoS 1/2
 * message is acknowledged any more, and the broker says so at ERROR. Nothing acknowledged is lost.
 */
@AnyThread
final class StoreWriter implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(StoreWriter.class);
  private static final int MAX_BATCH = 4096;

  /** Entries the queue holds at most. */
  static final int CAPACITY = 1 << 18;

  private static final Object STOP = new Object();

  /** Work run on the storage thread after the changes before it were applied (not synced). */
  record Read(Consumer<StorageBackend> task) {}

  /** A callback run once the changes before it are durable. */
  record Callback(Runnable task) {}

  private final StorageBackend backend;
  private final boolean syncEachBatch;
  private final long flushIntervalNanos;
  private final ArrayBlockingQueue<Object> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final Queue<Runnable> waiters = new ConcurrentLinkedQueue<>();

  /**
   * Entries queued and not yet taken by the storage thread: what {@link #isCongested} reads on
   * every read batch of every publisher, without the queue's lock that {@code size()} takes.
   */
  private final AtomicInteger queued = new AtomicInteger();

  private final Thread thread;
  private volatile boolean failed;

  StoreWriter(StorageBackend backend, boolean syncEachBatch, long flushIntervalMillis) {
    this.backend = backend;
    this.syncEachBatch = syncEachBatch;
    this.flushIntervalNanos = TimeUnit.MILLISECONDS.toNanos(flushIntervalMillis);
    this.thread = new Thread(this, "starling-store");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Queues a change. Any thread. */
  void submit(StoreOp op) {
    enqueue(op);
  }

  /** Runs {@code task} (on the storage thread) once every change submitted before is durable. */
  void afterWrites(Runnable task) {
    enqueue(new Callback(task));
  }

  /** Runs {@code task} on the storage thread once every change submitted before is applied. */
  void read(Consumer<StorageBackend> task) {
    enqueue(new Read(task));
  }

  private void enqueue(Object item) {
    if (queue.offer(item)) {
      queued.incrementAndGet();
    } else if (!failed) {
      failed = true;
      log.error(
          "the storage queue for {} is full ({} entries): QoS 1/2 messages are no longer"
              + " acknowledged",
          backend.location(),
          CAPACITY);
    }
  }

  /** Whether the queue is over half full. Any thread. */
  boolean isCongested() {
    return queued.get() > CAPACITY / 2;
  }

  /** Runs {@code resume} once the queue is down to a quarter: at once if it is. Any thread. */
  void whenDrained(Runnable resume) {
    waiters.add(resume);
    if (queued.get() <= CAPACITY / 4) {
      wakeWaiters();
    }
  }

  private void wakeWaiters() {
    Runnable r;
    while ((r = waiters.poll()) != null) {
      run(r);
    }
  }

  /** Whether the queue is empty (the thread is writing or waiting); for tests. */
  boolean isIdleForTest() {
    return queue.isEmpty();
  }

  /** Whether a write failed: nothing is acknowledged any more. */
  boolean isFailed() {
    return failed;
  }

  /** Applies what is queued, syncs, and stops the thread. */
  void stop() {
    try {
      queue.put(STOP); // the caller is not an event loop: waiting for room is fine
      queued.incrementAndGet();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void run() {
    List<Object> batch = new ArrayList<>(MAX_BATCH);
    List<StoreOp> ops = new ArrayList<>(MAX_BATCH);
    List<Runnable> callbacks = new ArrayList<>();
    boolean dirty = false;
    long nextFlush = System.nanoTime() + flushIntervalNanos;
    while (true) {
      Object first;
      try {
        first =
            syncEachBatch || !dirty
                ? queue.take()
                : queue.poll(Math.max(0, nextFlush - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (!syncEachBatch && dirty && System.nanoTime() - nextFlush >= 0) {
        syncWal();
        dirty = false;
        nextFlush = System.nanoTime() + flushIntervalNanos;
      }
      if (first == null) {
        continue;
      }
      batch.add(first);
      queue.drainTo(batch, MAX_BATCH - 1);
      queued.addAndGet(-batch.size());
      boolean stop = false;
      for (Object item : batch) {
        if (item instanceof StoreOp op) {
          ops.add(op);
        } else if (item instanceof Callback c) {
          callbacks.add(c.task());
        } else if (item instanceof Read r) {
          dirty |= apply(ops, callbacks);
          run(() -> r.task().accept(backend));
        } else if (item == STOP) {
          stop = true;
        }
      }
      batch.clear();
      dirty |= apply(ops, callbacks);
      if (!waiters.isEmpty() && queued.get() <= CAPACITY / 4) {
        wakeWaiters();
      }
      if (stop) {
        syncWal();
        return;
      }
    }
  }

  /** Writes the ops (syncing for {@code sync}), then runs the callbacks; true if it wrote. */
  private boolean apply(List<StoreOp> ops, List<Runnable> callbacks) {
    boolean wrote = !ops.isEmpty();
    if (wrote && !failed) {
      try {
        backend.write(ops, syncEachBatch);
      } catch (Exception e) {
        // Nothing written can be promised any more: stop acknowledging rather than lie.
        failed = true;
        log.error(
            "cannot write to the store in {}: QoS 1/2 messages are no longer acknowledged",
            backend.location(),
            e);
      }
    }
    ops.clear();
    if (!failed) {
      for (Runnable r : callbacks) {
        run(r);
      }
    }
    callbacks.clear();
    return wrote && !syncEachBatch;
  }

  private void syncWal() {
    try {
      backend.sync();
    } catch (Exception e) {
      log.error("cannot sync the store in {}", backend.location(), e);
    }
  }

  private static void run(Runnable r) {
    try {
      r.run();
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // The event loop it hands work to has stopped (broker shutdown): nobody is waiting.
    } catch (RuntimeException e) {
      log.error("storage callback failed", e);
    }
  }
}
