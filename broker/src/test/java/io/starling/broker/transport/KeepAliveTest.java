package io.starling.broker.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The connection timer on an event loop whose clock the test moves. Whole seconds from the wheel's
 * start fall on its ticks, so these times are exact.
 */
@Timeout(10)
class KeepAliveTest {
  private final EmbeddedChannel channel = new EmbeddedChannel();
  private final AtomicInteger fired = new AtomicInteger();
  private KeepAlive keepAlive;

  @BeforeEach
  void freezeTime() {
    channel.freezeTime();
    keepAlive = new KeepAlive(new TimerWheel(channel.eventLoop()));
  }

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  private void advanceMillis(long millis) {
    channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
  }

  @Test
  void aSilentClientExpiresAtOneAndAHalfTimesItsKeepAlive() {
    keepAlive.start(10, fired::incrementAndGet);
    advanceMillis(14_999);
    assertThat(fired).hasValue(0);
    advanceMillis(1);
    assertThat(fired).hasValue(1);
    assertThat(keepAlive.isArmed()).isFalse();
    advanceMillis(60_000);
    assertThat(fired).as("expires once").hasValue(1);
  }

  @Test
  void eachPacketStartsThePeriodAgain() {
    keepAlive.start(10, fired::incrementAndGet);
    advanceMillis(10_000);
    keepAlive.packetReceived();
    advanceMillis(5_000); // 15 s after the start, 5 s after the packet: the timer re-arms
    assertThat(fired).hasValue(0);
    assertThat(keepAlive.isArmed()).isTrue();
    advanceMillis(9_999);
    assertThat(fired).hasValue(0);
    advanceMillis(1); // 15 s after the packet
    assertThat(fired).hasValue(1);
  }

  @Test
  void aTimerOffTheTicksFiresAtTheNextTickNeverBefore() {
    advanceMillis(100);
    keepAlive.start(1, fired::incrementAndGet); // due 1,600 ms after the wheel started
    advanceMillis(1_499); // 1,599
    assertThat(fired).hasValue(0);
    advanceMillis(1); // 1,600: due, but the tick is at 1,750
    advanceMillis(TimeUnit.NANOSECONDS.toMillis(TimerWheel.TICK_NANOS) - 100);
    assertThat(fired).as("at most one tick late").hasValue(1);
  }

  @Test
  void theLongestKeepAliveGoesRoundTheWheelWithoutFiringEarly() {
    keepAlive.start(65_535, fired::incrementAndGet); // 98,302.5 s: hundreds of revolutions
    for (int i = 0; i < 98; i++) {
      advanceMillis(1_000_000);
    }
    advanceMillis(302_499);
    assertThat(fired).hasValue(0);
    advanceMillis(1);
    assertThat(fired).hasValue(1);
  }

  @Test
  void aKeepAliveOfZeroSchedulesNothing() {
    keepAlive.start(0, fired::incrementAndGet);
    assertThat(keepAlive.isArmed()).isFalse();
    keepAlive.packetReceived();
    advanceMillis(1_000_000);
    assertThat(fired).hasValue(0);
  }

  @Test
  void theConnectTimeoutFiresUnlessCancelled() {
    keepAlive.armTimeout(10, fired::incrementAndGet);
    assertThat(keepAlive.isArmed()).isTrue();
    advanceMillis(9_999);
    assertThat(fired).hasValue(0);
    advanceMillis(1);
    assertThat(fired).hasValue(1);
    assertThat(keepAlive.isArmed()).isFalse();

    keepAlive.armTimeout(10, fired::incrementAndGet);
    advanceMillis(5_000);
    keepAlive.cancel();
    assertThat(keepAlive.isArmed()).isFalse();
    advanceMillis(60_000);
    assertThat(fired).hasValue(1);
  }

  @Test
  void startingTheKeepAliveEndsTheConnectTimeout() {
    AtomicInteger timedOut = new AtomicInteger();
    keepAlive.armTimeout(10, timedOut::incrementAndGet);
    keepAlive.start(60, fired::incrementAndGet);
    advanceMillis(89_999);
    assertThat(timedOut).hasValue(0);
    assertThat(fired).hasValue(0);
    advanceMillis(1);
    assertThat(fired).hasValue(1);
  }
}
