package io.starling.broker.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.starling.broker.routing.Backpressure;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The reasons to pause reading, on an event loop whose clock the test moves: reading resumes only
 * once none is left, so the end of one pause never lifts another.
 */
@Timeout(10)
class ReadThrottleTest {
  private final EmbeddedChannel channel = new EmbeddedChannel();
  private ReadThrottle throttle;

  @BeforeEach
  void freezeTime() {
    channel.freezeTime();
    throttle = new ReadThrottle(channel);
  }

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  private void advanceMillis(long millis) {
    channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
    channel.runPendingTasks();
    channel.runScheduledPendingTasks();
  }

  private boolean isReading() {
    return channel.config().isAutoRead();
  }

  @Test
  void theEndOfACongestionPauseDoesNotReadAConnectionWhoseBufferIsFull() {
    AtomicReference<Runnable> drained = new AtomicReference<>();
    Backpressure congested = drained::set;
    throttle.pauseWhileUnwritable();
    throttle.pauseUntilDrained(congested, () -> false);
    drained.get().run(); // the subscribers caught up
    advanceMillis(1_000); // and the one-second recheck passed
    assertThat(isReading()).isFalse();
    throttle.resumeWritable();
    assertThat(isReading()).isTrue();
    assertThat(throttle.isPaused()).isFalse();
  }

  @Test
  void theEndOfARatePauseDoesNotReadAConnectionWhoseBufferIsFull() {
    throttle.pauseFor(TimeUnit.MILLISECONDS.toNanos(100));
    throttle.pauseWhileUnwritable();
    advanceMillis(200);
    assertThat(isReading()).isFalse();
    throttle.resumeWritable();
    assertThat(isReading()).isTrue();
  }

  @Test
  void aDrainedBufferDoesNotEndARatePause() {
    throttle.pauseWhileUnwritable();
    throttle.pauseFor(TimeUnit.MILLISECONDS.toNanos(100));
    throttle.resumeWritable();
    assertThat(isReading()).isFalse();
    advanceMillis(100);
    assertThat(isReading()).isTrue();
  }

  @Test
  void theMemoryPauseChecksEvery100MillisAndHoldsWithAFullBuffer() {
    AtomicBoolean high = new AtomicBoolean(true);
    throttle.pauseWhileMemoryHigh(high::get);
    throttle.pauseWhileMemoryHigh(high::get); // the next read batch: no second timer
    throttle.pauseWhileUnwritable();
    advanceMillis(100);
    assertThat(isReading()).isFalse();
    high.set(false);
    advanceMillis(100);
    assertThat(isReading()).as("the buffer is still full").isFalse();
    assertThat(throttle.isPausedWhileUnwritable()).isTrue();
    throttle.resumeWritable();
    assertThat(isReading()).isTrue();
  }

  @Test
  void reassertPausesAgainWhatSomethingElseResumed() {
    throttle.pauseWhileUnwritable();
    channel.config().setAutoRead(true); // as the end of a login's pause does
    throttle.reassert();
    assertThat(isReading()).isFalse();
    throttle.resumeWritable();
    throttle.reassert();
    assertThat(isReading()).isTrue();
  }

  /**
   * Issue #16: a congested subscriber holds its publishers for as long as it stays congested (the
   * one-second release let them overflow its queue); a missed wake-up is caught by the recheck.
   */
  @Test
  void aCongestionPauseHoldsPastASecondUntilTheSubscriberDrains() {
    AtomicBoolean congestedNow = new AtomicBoolean(true);
    AtomicReference<Runnable> drained = new AtomicReference<>();
    Backpressure congested =
        new Backpressure() {
          @Override
          public void whenDrained(Runnable resume) {
            drained.set(resume);
          }

          @Override
          public boolean isCongested() {
            return congestedNow.get();
          }
        };
    throttle.pauseUntilDrained(congested, () -> false);
    advanceMillis(5_000);
    assertThat(isReading()).as("still congested after 5 s").isFalse();
    drained.get().run();
    advanceMillis(0);
    assertThat(isReading()).isTrue();

    throttle.pauseUntilDrained(congested, () -> false);
    congestedNow.set(false); // drained, but the wake-up never comes
    advanceMillis(1_000);
    assertThat(isReading()).as("the recheck resumes reading").isTrue();
  }

  /** A client whose own session waits for its acknowledgements is read again within a second. */
  @Test
  void aCongestionPauseEndsWhenTheClientsOwnSessionWaitsForIt() {
    AtomicBoolean ownCongested = new AtomicBoolean();
    Backpressure congested =
        new Backpressure() {
          @Override
          public void whenDrained(Runnable resume) {}

          @Override
          public boolean isCongested() {
            return true;
          }
        };
    throttle.pauseUntilDrained(congested, ownCongested::get);
    advanceMillis(2_000);
    assertThat(isReading()).isFalse();
    ownCongested.set(true);
    advanceMillis(1_000);
    assertThat(isReading()).isTrue();
  }
}
