package io.starling.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code limits.max_connections} is held by {@link BrokerStats#tryConnect}: a place is taken in one
 * atomic step, however many event loops admit connections at once.
 */
@Timeout(30)
class MaxConnectionsTest {
  private static final int THREADS = 8;

  private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);
  private final BrokerStats stats = new BrokerStats();

  @AfterEach
  void stop() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void connectionsRacingForTheLastPlacesGetExactlyThatMany() throws Exception {
    int max = 5;
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Integer>> tries = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      tries.add(
          pool.submit(
              () -> {
                start.await();
                int won = 0;
                for (int i = 0; i < 1000; i++) {
                  won += stats.tryConnect(max) ? 1 : 0;
                }
                return won;
              }));
    }
    start.countDown();
    int won = 0;
    for (Future<Integer> f : tries) {
      won += f.get(20, TimeUnit.SECONDS);
    }
    assertThat(won).isEqualTo(max);
    assertThat(stats.clientsConnected.get()).isEqualTo(max);
    assertThat(stats.clientsTotal.sum()).isEqualTo(max);
    assertThat(stats.clientsMaximum.get()).isEqualTo(max);
  }

  @Test
  void connectionsComingAndGoingNeverGoOverTheMaximum() throws Exception {
    int max = 3;
    AtomicInteger holding = new AtomicInteger(); // places taken and not yet given back
    AtomicInteger mostHeld = new AtomicInteger();
    AtomicInteger admitted = new AtomicInteger();
    AtomicBoolean over = new AtomicBoolean();
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      workers.add(
          pool.submit(
              () -> {
                start.await();
                for (int i = 0; i < 20_000; i++) {
                  if (!stats.tryConnect(max)) {
                    continue;
                  }
                  admitted.incrementAndGet();
                  int now = holding.incrementAndGet();
                  mostHeld.accumulateAndGet(now, Math::max);
                  if (now > max || stats.clientsConnected.get() > max) {
                    over.set(true);
                  }
                  holding.decrementAndGet();
                  stats.disconnected();
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> f : workers) {
      f.get(20, TimeUnit.SECONDS);
    }
    assertThat(over).as("more than the maximum connected at once").isFalse();
    assertThat(mostHeld.get()).isBetween(1, max);
    assertThat(stats.clientsMaximum.get()).isBetween(1L, (long) max);
    assertThat(stats.clientsConnected.get()).isZero();
    assertThat(stats.clientsTotal.sum()).isEqualTo(admitted.get());
  }

  @Test
  void aFullBrokerChangesNothingWhenItRefuses() {
    assertThat(stats.tryConnect(1)).isTrue();
    assertThat(stats.tryConnect(1)).isFalse();
    assertThat(stats.clientsConnected.get()).isEqualTo(1);
    assertThat(stats.clientsTotal.sum()).isEqualTo(1);
    stats.disconnected();
    assertThat(stats.tryConnect(1)).isTrue();
    assertThat(stats.clientsTotal.sum()).isEqualTo(2);
    assertThat(stats.clientsMaximum.get()).isEqualTo(1);
  }
}
