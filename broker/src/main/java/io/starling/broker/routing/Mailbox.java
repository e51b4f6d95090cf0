package io.starling.broker.routing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Deliveries on their way to one event loop, handed over in batches: each batch is one list from
 * one publishing loop, and the mailbox wakes its loop at most once for all batches waiting.
 *
 * <p>It is bounded by back-pressure rather than by refusing: when more than {@link #HIGH_WATER}
 * deliveries wait, publishers that add to it pause reading from their sockets ({@link
 * #isCongested}, {@link #whenDrained}) until it is below {@link #LOW_WATER} again. Thread-safe.
 */
public final class Mailbox implements Backpressure {
  static final int HIGH_WATER = 32 * 1024;
  static final int LOW_WATER = HIGH_WATER / 4;

  private final EventLoop loop;
  private final Queue<List<Delivery>> batches = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Queue<Runnable> waiters = new ConcurrentLinkedQueue<>();
  private final Runnable drainTask = this::drain;

  Mailbox(EventLoop loop) {
    this.loop = loop;
  }

  /** Hands a batch over; the list now belongs to the mailbox. Any thread. */
  void post(List<Delivery> batch) {
    pending.addAndGet(batch.size());
    batches.add(batch);
    if (scheduled.compareAndSet(false, true)) {
      loop.execute(drainTask);
    }
  }

  /** Whether publishers feeding this mailbox should pause. Any thread. */
  boolean isCongested() {
    return pending.get() > HIGH_WATER;
  }

  /** Runs {@code resume} (on any thread) once the mailbox is below its low-water mark. */
  @Override
  public void whenDrained(Runnable resume) {
    waiters.add(resume);
    if (pending.get() <= LOW_WATER) {
      wakeWaiters();
    }
  }

  private void wakeWaiters() {
    Runnable r;
    while ((r = waiters.poll()) != null) {
      r.run();
    }
  }

  private void drain() {
    scheduled.set(false);
    List<Subscriber> touched = new ArrayList<>();
    List<Delivery> batch;
    while ((batch = batches.poll()) != null) {
      deliver(batch, touched);
      if (pending.addAndGet(-batch.size()) <= LOW_WATER && !waiters.isEmpty()) {
        wakeWaiters();
      }
    }
    flush(touched);
  }

  /**
   * Delivers a batch on its loop, releasing each message's shared payload reference after its last
   * delivery in the batch; sessions with new writes are added to {@code touched}.
   */
  static void deliver(List<Delivery> batch, List<Subscriber> touched) {
    int n = batch.size();
    for (int i = 0; i < n; i++) {
      Delivery d = batch.get(i);
      ByteBuf payload = d.message().payload();
      boolean last = i == n - 1 || batch.get(i + 1).message() != d.message();
      Subscriber s = d.subscriber();
      if (s.owner().inEventLoop()) {
        deliver(d);
        if (s.markForFlush()) {
          touched.add(s);
        }
        if (last) {
          payload.release();
        }
      } else {
        // The session moved to another loop meanwhile: follow it with its own reference.
        ByteBuf mine = last ? payload : payload.retain();
        s.execute(
            () -> {
              try {
                deliver(d);
                s.flush();
              } finally {
                mine.release();
              }
            });
      }
    }
  }

  private static void deliver(Delivery d) {
    d.subscriber().deliver(d);
  }

  static void flush(List<Subscriber> touched) {
    for (int i = 0, n = touched.size(); i < n; i++) {
      touched.get(i).flush();
    }
    touched.clear();
  }
}
