package io.starling.broker.security;

import io.netty.channel.Channel;
import java.util.concurrent.TimeUnit;

/**
 * Pauses reading from a client's socket, so TCP pushes back on it instead of the broker buffering:
 * for a client over its publish rate, and for everyone while memory is over the high-water mark.
 * Called on the channel's event loop.
 */
public final class ReadThrottle {
  private static final long MEMORY_RECHECK_MILLIS = 100;

  private ReadThrottle() {}

  /** Stops reading {@code channel} until memory is below the high-water mark again. */
  public static void pauseWhileMemoryHigh(Channel channel, Security security) {
    channel.config().setAutoRead(false);
    channel
        .eventLoop()
        .schedule(
            () -> resumeWhenMemoryLow(channel, security),
            MEMORY_RECHECK_MILLIS,
            TimeUnit.MILLISECONDS);
  }

  private static void resumeWhenMemoryLow(Channel channel, Security security) {
    if (!channel.isActive()) {
      return;
    }
    if (security.isMemoryHigh()) {
      pauseWhileMemoryHigh(channel, security);
    } else {
      channel.config().setAutoRead(true);
    }
  }
}
