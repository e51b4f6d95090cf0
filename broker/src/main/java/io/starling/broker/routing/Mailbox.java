package io.starling.broker.routing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.starling.broker.threading.AnyThread;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jctools.queues.MpscArrayQueue;

/**
 * Deliveries on their way to one event loop, handed over in batches: each batch is one list from
 * one publishing loop, and the mailbox wakes its loop at most once for all batches waiting.
 *
 * <p>Bounded twice: the batches wait in an array-backed queue of {@value #CAPACITY} (JCTools'
 * multi-producer single-consumer queue), and when more than {@link #HIGH_WATER} deliveries or half
 * the batch capacity wait, publishers that add to it pause reading from their sockets ({@link
 * #isCongested}, {@link #whenDrained}) until it is below a quarter of both again. When it is full,
 * {@link #post} refuses the batch: the router keeps it on the publisher's loop (whose reads are
 * paused) and posts it again once this mailbox drains, so nothing is dropped and nothing waits here
 * unbounded. Thread-safe.
 */
@AnyThread
public final class Mailbox implements Backpressure {
  static final int HIGH_WATER = 32 * 1024;
  static final int LOW_WATER = HIGH_WATER / 4;

  /** Batches that may wait at once; a publishing loop adds at most one per read batch. */
  static final int CAPACITY = 4096;

  private final EventLoop loop;
  private final Queue<List<Delivery>> batches = new MpscArrayQueue<>(CAPACITY);
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Queue<Runnable> waiters = new ConcurrentLinkedQueue<>();
  private final Runnable drainTask = this::drain;

  Mailbox(EventLoop loop) {
    this.loop = loop;
  }

  /**
   * Hands a batch over; the list then belongs to the mailbox. Returns false, keeping nothing, when
   * the mailbox is full: the caller keeps the batch and posts it again after {@link #whenDrained}.
   */
  boolean post(List<Delivery> batch) {
    pending.addAndGet(batch.size());
    if (!batches.offer(batch)) {
      pending.addAndGet(-batch.size());
      return false;
    }
    if (scheduled.compareAndSet(false, true)) {
      loop.execute(drainTask);
    }
    return true;
  }

  /** Whether publishers feeding this mailbox should pause. */
  @Override
  public boolean isCongested() {
    return pending.get() > HIGH_WATER || batches.size() > CAPACITY / 2;
  }

  private boolean isDrained() {
    return pending.get() <= LOW_WATER && batches.size() <= CAPACITY / 4;
  }

  /** Runs {@code resume} (on any thread) once the mailbox is below its low-water marks. */
  @Override
  public void whenDrained(Runnable resume) {
    waiters.add(resume);
    if (isDrained()) {
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
      pending.addAndGet(-batch.size());
      if (!waiters.isEmpty() && isDrained()) {
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
