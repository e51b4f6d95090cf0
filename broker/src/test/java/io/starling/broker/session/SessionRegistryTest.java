package io.starling.broker.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.starling.broker.config.BrokerConfig.Limits;
import io.starling.broker.metrics.BrokerStats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code limits.max_sessions} holds for new sessions however many threads create them at once. */
@Timeout(30)
class SessionRegistryTest {
  private final EventLoop loop = new DefaultEventLoop();

  @AfterEach
  void stop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  @Test
  void newSessionsStopAtTheCapAndExistingOnesAreStillFound() throws Exception {
    BrokerStats stats = new BrokerStats();
    SessionRegistry r =
        new SessionRegistry(Limits.DEFAULT.toBuilder().maxSessions(100).build(), stats);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Callable<Integer>> tasks = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        tasks.add(
            () -> {
              int made = 0;
              for (int i = 0; i < 100; i++) {
                if (r.getOrCreateWithinLimit("t" + thread + "-" + i, loop) != null) {
                  made++;
                }
              }
              return made;
            });
      }
      int made = 0;
      for (Future<Integer> f : pool.invokeAll(tasks)) {
        made += f.get();
      }
      assertThat(made).isEqualTo(100);
    } finally {
      pool.shutdownNow();
    }
    assertThat(r.size()).isEqualTo(100);
    assertThat(stats.sessionsRefused.sum()).isEqualTo(300);
    Session some = r.snapshot().get(0);
    assertThat(r.getOrCreateWithinLimit(some.clientId(), loop)).isSameAs(some);
    // Sessions restored at start-up are not refused; removing one makes room for a new one.
    assertThat(r.getOrCreate("restored", loop)).isNotNull();
    r.remove(some);
    r.remove(r.get("restored"));
    assertThat(r.getOrCreateWithinLimit("new", loop)).isNotNull();
    assertThat(r.getOrCreateWithinLimit("one-too-many", loop)).isNull();
  }
}
