package io.starling.broker.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.config.AbuseLimits;
import io.starling.broker.security.internal.ConnectionGuard;
import io.starling.broker.security.internal.MemoryGuard;
import io.starling.broker.security.internal.RateLimiter;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ConnectionGuardTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private static final InetAddress A = InetAddress.getLoopbackAddress();

  private ConnectionGuard guard(int perAddress, int ratePerAddress, int flaps, int failedLogins) {
    AbuseLimits l =
        new AbuseLimits(
            0,
            0,
            AbuseLimits.RateAction.THROTTLE,
            0,
            perAddress,
            ratePerAddress,
            flaps,
            10,
            60,
            failedLogins,
            0);
    return new ConnectionGuard(l, now::get);
  }

  private void advanceSeconds(long s) {
    now.addAndGet(TimeUnit.SECONDS.toNanos(s));
  }

  @Test
  void connectionsPerAddressAreCappedAndFreedOnClose() {
    ConnectionGuard g = guard(2, 0, 0, 0);
    assertThat(g.admit(A)).isTrue();
    assertThat(g.admit(A)).isTrue();
    assertThat(g.admit(A)).isFalse();
    g.closed(A);
    assertThat(g.admit(A)).isTrue();
  }

  @Test
  void theConnectionRateIsPerSecond() {
    ConnectionGuard g = guard(0, 3, 0, 0);
    for (int i = 0; i < 3; i++) {
      assertThat(g.admit(A)).isTrue();
    }
    assertThat(g.admit(A)).isFalse();
    advanceSeconds(1);
    assertThat(g.admit(A)).isTrue();
  }

  @Test
  void aClientIdWhoseConnectionsKeepEndingAbnormallyCoolsOff() {
    ConnectionGuard g = guard(0, 0, 3, 0);
    for (int i = 0; i < 2; i++) {
      g.endedAbnormally("alice", "flappy");
      assertThat(g.isFlapping("alice", "flappy")).isFalse();
    }
    g.endedAbnormally("alice", "flappy");
    assertThat(g.isFlapping("alice", "flappy")).as("the third abnormal end").isTrue();
    assertThat(g.isFlapping("alice", "calm")).isFalse();
    // Another user's connections with that id are counted apart: nobody locks alice's id out.
    assertThat(g.isFlapping("bob", "flappy")).isFalse();
    assertThat(g.isFlapping(null, "flappy")).isFalse();
    advanceSeconds(30);
    assertThat(g.isFlapping("alice", "flappy")).isTrue();
    advanceSeconds(31);
    assertThat(g.isFlapping("alice", "flappy")).as("after the cool-off").isFalse();
  }

  @Test
  void abnormalEndsSpreadOverMoreThanTheWindowNeverAddUp() {
    ConnectionGuard g = guard(0, 0, 3, 0);
    for (int i = 0; i < 10; i++) {
      g.endedAbnormally("alice", "steady");
      g.endedAbnormally("alice", "steady");
      advanceSeconds(11); // flap_window_seconds is 10
    }
    assertThat(g.isFlapping("alice", "steady")).isFalse();
  }

  @Test
  void loginsWaitingCountAgainstTheFailedLoginLimitAndTheAddressesShare() {
    ConnectionGuard g = guard(0, 0, 0, 3);
    assertThat(g.beginAttempt(A, 10)).isEqualTo(ConnectionGuard.Attempt.QUEUED);
    assertThat(g.beginAttempt(A, 10)).isEqualTo(ConnectionGuard.Attempt.QUEUED);
    g.loginFailed(A);
    g.endAttempt(A);
    // One failure and one waiting: a third may still go, a fourth could pass the limit.
    assertThat(g.beginAttempt(A, 10)).isEqualTo(ConnectionGuard.Attempt.QUEUED);
    assertThat(g.beginAttempt(A, 10)).isEqualTo(ConnectionGuard.Attempt.BUSY);
    g.loginFailed(A);
    g.endAttempt(A);
    g.loginFailed(A);
    g.endAttempt(A);
    assertThat(g.beginAttempt(A, 10)).isEqualTo(ConnectionGuard.Attempt.BLOCKED);
    advanceSeconds(61);
    ConnectionGuard unlimited = guard(0, 0, 0, 0);
    assertThat(unlimited.beginAttempt(A, 2)).isEqualTo(ConnectionGuard.Attempt.QUEUED);
    assertThat(unlimited.beginAttempt(A, 2)).isEqualTo(ConnectionGuard.Attempt.QUEUED);
    assertThat(unlimited.beginAttempt(A, 2)).isEqualTo(ConnectionGuard.Attempt.BUSY);
    unlimited.endAttempt(A);
    assertThat(unlimited.beginAttempt(A, 2)).isEqualTo(ConnectionGuard.Attempt.QUEUED);
  }

  @Test
  void failedLoginsBlockTheAddressForTheRestOfTheMinute() {
    ConnectionGuard g = guard(0, 0, 0, 3);
    g.loginFailed(A);
    g.loginFailed(A);
    assertThat(g.isLoginBlocked(A)).isFalse();
    g.loginFailed(A);
    assertThat(g.isLoginBlocked(A)).isTrue();
    advanceSeconds(61);
    assertThat(g.isLoginBlocked(A)).isFalse();
  }

  @Test
  void sweepingForgetsIdleEntries() {
    ConnectionGuard g = guard(5, 5, 5, 5);
    g.admit(A);
    g.endedAbnormally(null, "x");
    g.sweep();
    assertThat(g.size()).isEqualTo(2);
    g.closed(A);
    advanceSeconds(120);
    g.sweep();
    assertThat(g.size()).isZero();
    assertThat(g.admit(A)).isTrue();
  }

  @Test
  void theRateLimiterAllowsAOneSecondBurstThenPacesAtTheRate() {
    RateLimiter r = new RateLimiter(100);
    long t = 0;
    for (int i = 0; i < 100; i++) {
      assertThat(r.acquire(1, t)).isZero();
    }
    assertThat(r.acquire(1, t)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(10));
    t += TimeUnit.SECONDS.toNanos(2);
    assertThat(r.acquire(1, t)).isZero();
  }

  @Test
  void theMemoryGuardTripsAtTheWatermarkOfHeapOrDirectMemory() {
    AtomicLong heap = new AtomicLong(50);
    AtomicLong direct = new AtomicLong(-1);
    MemoryGuard m = new MemoryGuard(90, heap::get, 100, direct::get, 100);
    m.sample();
    assertThat(m.isHigh()).isFalse();
    heap.set(95);
    m.sample();
    assertThat(m.isHigh()).isTrue();
    heap.set(10);
    direct.set(91);
    m.sample();
    assertThat(m.isHigh()).isTrue();
    direct.set(0);
    m.sample();
    assertThat(m.isHigh()).isFalse();
    MemoryGuard off = new MemoryGuard(0, () -> 100, 100, () -> 100, 100);
    off.sample();
    assertThat(off.isHigh()).isFalse();
  }
}
