package io.starling.loadgen;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.starling.codec.QoS;
import io.starling.loadgen.TrafficScenario.Pacing;
import java.util.concurrent.TimeUnit;

/**
 * One publishing connection of a traffic run. It publishes as fast as its window and the socket
 * allow, or at the fixed rate of the latency scenario. Once started it runs on its connection's
 * event loop; only {@link #sent} is read from other threads.
 */
final class Publisher {
  /** Messages written before yielding the event loop to reads. */
  private static final int BATCH = 256;

  /** A QoS 0 window without an arrival for this long is written off: the broker dropped it. */
  private static final long STALL_NANOS = 500_000_000L;

  private final int index;
  private final LoadConnection conn;
  private final int fanout;
  private final LoadOptions o;
  private final RunState state;

  private volatile long sent;
  private long seq;
  private long startNanos;
  private long writtenOff;
  private long lastArrivals;
  private long lastProgressNanos;

  /**
   * @param index this publisher's index, written into every payload
   * @param conn a connected connection, prepared for its topic
   * @param fanout how many subscribers get each message
   */
  Publisher(int index, LoadConnection conn, int fanout, LoadOptions options, RunState state) {
    this.index = index;
    this.conn = conn;
    this.fanout = fanout;
    this.o = options;
    this.state = state;
  }

  /** Messages written so far. */
  long sent() {
    return sent;
  }

  /** How many subscribers get each message. */
  int fanout() {
    return fanout;
  }

  /** Starts publishing; {@code startNanos} is when message 0 of a fixed rate was due. */
  void start(long startNanos, Pacing pacing) {
    this.startNanos = startNanos;
    Channel ch = conn.channel();
    if (pacing == Pacing.FIXED_RATE) {
      // Ticks of 100 us: at most a few messages leave together, so bursts do not pass for
      // latency.
      ch.eventLoop().scheduleAtFixedRate(this::paced, 0, 100, TimeUnit.MICROSECONDS);
    } else {
      conn.onWindowOpen(this::pump);
      ch.eventLoop().execute(this::pump);
    }
  }

  private boolean windowed() {
    return o.qos() == QoS.AT_MOST_ONCE && o.qos0Window() > 0 && o.payloadBytes() >= Payloads.HEADER;
  }

  private boolean windowOpen() {
    if (o.qos() != QoS.AT_MOST_ONCE) {
      return conn.inflight() < o.inflight();
    }
    return !windowed() || seq - state.arrivals(index) / fanout - writtenOff < o.qos0Window();
  }

  private boolean canSend() {
    return state.isRunning() && conn.channel().isWritable() && windowOpen();
  }

  private void pump() {
    int batch = 0;
    while (canSend() && batch < BATCH) {
      sendOne();
      batch++;
    }
    conn.channel().flush();
    // Look at the window once: subscribers' threads may open it at any moment, and a window seen
    // closed must be polled, since at QoS 0 nothing else wakes this publisher up.
    boolean open = windowOpen();
    if (state.isRunning() && conn.channel().isWritable() && open) {
      conn.channel().eventLoop().execute(this::pump); // yield to reads, then go on
    } else if (state.isRunning() && windowed() && !open) {
      writeOffIfStalled();
      conn.channel().eventLoop().schedule(this::pump, 100, TimeUnit.MICROSECONDS);
    }
  }

  /**
   * Waiting for arrivals: messages the broker dropped (QoS 0 may be dropped) never arrive, so a
   * window that has made no progress for {@link #STALL_NANOS} is written off.
   */
  private void writeOffIfStalled() {
    long now = System.nanoTime();
    long arrivals = state.arrivals(index);
    if (arrivals != lastArrivals) {
      lastArrivals = arrivals;
      lastProgressNanos = now;
    } else if (now - lastProgressNanos > STALL_NANOS) {
      writtenOff = seq - arrivals / fanout;
      lastProgressNanos = now;
    }
  }

  private void paced() {
    if (!state.isRunning()) {
      return;
    }
    long due = (System.nanoTime() - startNanos) * o.ratePerSecond() / 1_000_000_000L;
    while (seq < due && conn.channel().isWritable()) {
      sendOne();
    }
    conn.channel().flush();
  }

  private void sendOne() {
    ByteBuf frame = conn.startPublish(o.payloadBytes());
    Payloads.write(frame, o.payloadBytes(), index, seq++);
    conn.channel().write(frame, conn.channel().voidPromise());
    sent = seq;
    state.countPublished();
  }
}
