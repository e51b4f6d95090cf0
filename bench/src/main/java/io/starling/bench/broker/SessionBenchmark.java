package io.starling.bench.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.model.Message;
import io.starling.broker.routing.Delivery;
import io.starling.broker.session.Session;
import io.starling.broker.session.SessionConnection;
import io.starling.codec.QoS;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Publish;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A session's outbound path: a QoS 1 message delivered to a connected session and acknowledged, and
 * messages queued for an offline persistent session.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SessionBenchmark {
  private final ByteBuf payload = Unpooled.directBuffer(64).writeZero(64);
  private final Message message =
      Message.of("site/7/device/42/temperature", payload, QoS.AT_LEAST_ONCE, false);
  private Session online;
  private Session offline;
  private final Sink sink = new Sink();

  /** A connection that drops what is written, remembering the last packet id. */
  static final class Sink implements SessionConnection {
    int lastPacketId;

    @Override
    public void onSessionReady(Session session, boolean present) {}

    @Override
    public EventLoop eventLoop() {
      return null;
    }

    @Override
    public void write(MqttPacket packet) {
      if (packet instanceof Publish p) {
        lastPacketId = p.packetId();
      }
      ReferenceCountUtil.release(packet);
    }

    @Override
    public void flush() {}

    @Override
    public boolean isWritable() {
      return true;
    }

    @Override
    public void closeForTakeover() {}
  }

  @Setup(Level.Trial)
  public void setUp() {
    BrokerConfig.Limits limits = BrokerConfig.Limits.DEFAULT;
    online = new Session("online", null, limits, new BrokerStats());
    online.attach(sink, false);
    offline = new Session("offline", null, limits, new BrokerStats());
    offline.attach(sink, true);
    offline.detach();
  }

  @Benchmark
  public int deliverQos1AndAck() {
    online.deliver(Delivery.of(online, message, QoS.AT_LEAST_ONCE, false, null, null));
    online.onPubAck(sink.lastPacketId);
    return sink.lastPacketId;
  }

  @Benchmark
  public int queueWhileOffline() {
    offline.deliver(Delivery.of(offline, message, QoS.AT_LEAST_ONCE, false, null, null));
    if (offline.pendingCount() >= 1000) {
      offline.clearMessages();
    }
    return offline.pendingCount();
  }
}
