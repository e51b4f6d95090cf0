package io.starling.broker.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.starling.broker.config.AbuseLimits;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.routing.Router;
import io.starling.broker.security.EnhancedAuthenticator;
import io.starling.broker.session.SessionLifecycle;
import io.starling.broker.session.Subscriptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connection whose outbound buffer is over its high-water mark, on an event loop whose clock the
 * test moves: not read until it drains, closed after {@code abuse.unwritable_timeout_seconds}, or
 * after a second while memory is high.
 */
@Timeout(10)
class WriteBacklogTest {
  private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
  private final AtomicBoolean memoryHigh = new AtomicBoolean();
  private final BrokerStats stats = new BrokerStats();
  private WriteBacklog backlog;

  private void start(int timeoutSeconds) {
    channel.freezeTime();
    ChannelHandlerContext ctx = channel.pipeline().firstContext();
    ConnectionState state = new ConnectionState(new Context(timeoutSeconds), ctx);
    backlog = new WriteBacklog(state, memoryHigh::get);
  }

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  private void advanceMillis(long millis) {
    channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
  }

  /** The outbound buffer goes over (or back under) its mark, as Netty tells the handler. */
  private void writable(boolean writable) {
    channel.unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
    assertThat(channel.isWritable()).isEqualTo(writable);
    backlog.writabilityChanged();
  }

  @Test
  void aConnectionIsNotReadWhileItsBufferIsFullAndIsReadAgainOnceItDrains() {
    start(30);
    writable(false);
    assertThat(channel.config().isAutoRead()).isFalse();
    assertThat(backlog.isWatching()).isTrue();
    advanceMillis(29_000);
    writable(true);
    assertThat(channel.config().isAutoRead()).isTrue();
    assertThat(backlog.isWatching()).isFalse();
    advanceMillis(60_000);
    assertThat(channel.isOpen()).isTrue();
    assertThat(stats.unwritableClosed.sum()).isZero();
  }

  @Test
  void aConnectionThatStaysUnwritableIsClosedAfterTheTimeoutAndCounted() {
    start(30);
    writable(false);
    advanceMillis(29_999);
    assertThat(channel.isOpen()).isTrue();
    advanceMillis(1);
    assertThat(channel.isOpen()).isFalse();
    assertThat(stats.unwritableClosed.sum()).isEqualTo(1);
  }

  @Test
  void theTimeoutStartsAgainEachTimeTheBufferFillsUp() {
    start(30);
    writable(false);
    advanceMillis(20_000);
    writable(true);
    writable(false);
    advanceMillis(20_000);
    assertThat(channel.isOpen()).as("40 s in all, but never 30 s at once").isTrue();
    advanceMillis(10_000);
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void aTimeoutOfZeroNeverCloses() {
    start(0);
    writable(false);
    advanceMillis(TimeUnit.HOURS.toMillis(1));
    assertThat(channel.isOpen()).isTrue();
    assertThat(channel.config().isAutoRead()).isFalse();
  }

  @Test
  void whileMemoryIsHighAConnectionUnwritableForASecondIsClosedAtOnce() {
    start(0);
    memoryHigh.set(true);
    writable(false);
    advanceMillis(999);
    assertThat(channel.isOpen()).isTrue();
    advanceMillis(1);
    assertThat(channel.isOpen()).isFalse();
    assertThat(stats.unwritableClosed.sum()).isEqualTo(1);
  }

  @Test
  void highMemoryAloneClosesNoWritableConnection() {
    start(30);
    memoryHigh.set(true);
    writable(false);
    writable(true);
    advanceMillis(60_000);
    assertThat(channel.isOpen()).isTrue();
  }

  /** Just what a connection's state needs of the broker: the config and the counters. */
  private final class Context implements BrokerContext {
    private final BrokerConfig config;

    Context(int timeoutSeconds) {
      AbuseLimits d = AbuseLimits.DEFAULT;
      this.config =
          BrokerConfig.defaults()
              .withAbuse(
                  new AbuseLimits(
                      d.maxPublishRate(),
                      d.maxPublishBytesRate(),
                      d.publishRateAction(),
                      d.maxSubscriptions(),
                      d.maxConnectionsPerAddress(),
                      d.maxConnectionRatePerAddress(),
                      d.flapConnects(),
                      d.flapWindowSeconds(),
                      d.flapCooloffSeconds(),
                      d.maxFailedLoginsPerMinute(),
                      d.memoryHighWatermarkPercent(),
                      timeoutSeconds));
    }

    @Override
    public BrokerConfig config() {
      return config;
    }

    @Override
    public BrokerStats stats() {
      return stats;
    }

    @Override
    public Router router() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Subscriptions subscriptions() {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean isShuttingDown() {
      return false;
    }

    @Override
    public EnhancedAuthenticator enhancedAuthenticator(String method) {
      return null;
    }

    @Override
    public SessionLifecycle lifecycle() {
      throw new UnsupportedOperationException();
    }
  }
}
