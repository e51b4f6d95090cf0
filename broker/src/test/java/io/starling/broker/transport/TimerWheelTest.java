package io.starling.broker.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One wheel for the timers of many connections, on an event loop whose clock the test moves. */
@Timeout(10)
class TimerWheelTest {
  private final EmbeddedChannel channel = new EmbeddedChannel();
  private TimerWheel wheel;

  @BeforeEach
  void freezeTime() {
    channel.freezeTime();
    wheel = new TimerWheel(channel.eventLoop());
  }

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  private void advanceMillis(long millis) {
    channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
  }

  /** An entry that counts how often it ran, and may run something more. */
  private static final class Counting extends TimerWheel.Entry {
    final AtomicInteger fired = new AtomicInteger();
    Runnable also = () -> {};

    @Override
    void onDue() {
      fired.incrementAndGet();
      also.run();
    }
  }

  @Test
  void tenThousandSilentClientsWithKeepAliveSixtyAreAllClosedAtNinetySecondsOnce() {
    List<KeepAlive> keepAlives = new ArrayList<>();
    AtomicInteger expired = new AtomicInteger();
    for (int i = 0; i < 10_000; i++) {
      KeepAlive k = new KeepAlive(wheel);
      k.start(60, expired::incrementAndGet);
      keepAlives.add(k);
    }
    // Half of them send a packet 30 s in: their period starts again.
    advanceMillis(30_000);
    for (int i = 0; i < keepAlives.size(); i += 2) {
      keepAlives.get(i).packetReceived();
    }
    advanceMillis(59_999);
    assertThat(expired).hasValue(0);
    advanceMillis(1); // 90 s: 1.5 times the keep-alive since the silent ones connected
    assertThat(expired).hasValue(5_000);
    advanceMillis(29_999);
    assertThat(expired).hasValue(5_000);
    advanceMillis(1); // 120 s: 90 s after the others' packet
    assertThat(expired).hasValue(10_000);
    assertThat(wheel.size()).isZero();
    advanceMillis(600_000);
    assertThat(expired).as("each once").hasValue(10_000);
  }

  @Test
  void anEntryThatRunsMayCancelAnotherDueInTheSameTick() {
    Counting first = new Counting();
    Counting second = new Counting();
    first.also = () -> wheel.cancel(second);
    second.also = () -> wheel.cancel(first);
    wheel.schedule(first, TimeUnit.SECONDS.toNanos(1));
    wheel.schedule(second, TimeUnit.SECONDS.toNanos(1));
    advanceMillis(1_000);
    assertThat(first.fired.get() + second.fired.get()).as("only the one that ran first").isOne();
    assertThat(wheel.size()).isZero();
  }

  @Test
  void anEntryMaySetItselfAgainWhenItRuns() {
    Counting e = new Counting();
    e.also = () -> wheel.schedule(e, TimeUnit.SECONDS.toNanos(1));
    wheel.schedule(e, TimeUnit.SECONDS.toNanos(1));
    for (int i = 0; i < 5; i++) {
      advanceMillis(1_000);
    }
    assertThat(e.fired).hasValue(5);
    assertThat(e.isScheduled()).isTrue();
    wheel.cancel(e);
    assertThat(wheel.size()).isZero();
  }

  @Test
  void aFailingEntryDoesNotStopTheOthers() {
    Counting failing = new Counting();
    failing.also =
        () -> {
          throw new IllegalStateException("a bug in one connection");
        };
    Counting other = new Counting();
    wheel.schedule(failing, TimeUnit.SECONDS.toNanos(1));
    wheel.schedule(other, TimeUnit.SECONDS.toNanos(1));
    advanceMillis(1_000);
    assertThat(failing.fired).hasValue(1);
    assertThat(other.fired).hasValue(1);
  }

  @Test
  void aLoopThatRanLateCatchesUpEveryTickItMissed() {
    Counting early = new Counting();
    Counting late = new Counting();
    wheel.schedule(early, TimeUnit.SECONDS.toNanos(1));
    wheel.schedule(late, TimeUnit.SECONDS.toNanos(100));
    advanceMillis(99_000); // one run of the tick task for 99 s of ticks
    assertThat(early.fired).hasValue(1);
    assertThat(late.fired).hasValue(0);
    advanceMillis(1_000);
    assertThat(late.fired).hasValue(1);
  }
}
