package io.starling.broker.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.starling.broker.config.AbuseLimits;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.SecurityConfig;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.routing.Router;
import io.starling.broker.security.EnhancedAuthenticator;
import io.starling.broker.security.Security;
import io.starling.broker.session.SessionLifecycle;
import io.starling.broker.session.SessionRegistry;
import io.starling.broker.session.Subscriptions;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connection on an {@code EmbeddedChannel}, with a real session layer on the channel's loop: its
 * place under {@code limits.max_connections}, the packet counters, and a client that does not take
 * what it is sent.
 */
@Timeout(10)
class MqttConnectionTest {
  private final List<EmbeddedChannel> channels = new ArrayList<>();
  private Security security;

  @AfterEach
  void close() {
    channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    if (security != null) {
      security.close();
    }
  }

  private EmbeddedChannel connection(TestBroker broker) {
    EmbeddedChannel ch = new EmbeddedChannel(new MqttConnection(broker));
    channels.add(ch);
    return ch;
  }

  private static Connect connect(String clientId) {
    return new Connect(MqttVersion.V5, clientId, true, 0, null, null, null, Properties.EMPTY);
  }

  /** CONNECT, then what the connection answered once the session layer ran. */
  private static List<MqttPacket> connect(EmbeddedChannel ch, String clientId) {
    ch.writeInbound(connect(clientId));
    ch.runPendingTasks();
    return Wire.sent(ch, MqttVersion.V5);
  }

  /** Lets the moment a refused connection drains its input go by ({@link GracefulClose}). */
  private static void lingerOver(EmbeddedChannel ch) {
    ch.advanceTimeBy(GracefulClose.LINGER_MILLIS, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
  }

  private static ReasonCode connAckReason(List<MqttPacket> sent) {
    assertThat(sent).hasSize(1).first().isInstanceOf(ConnAck.class);
    return ((ConnAck) sent.get(0)).reasonCode();
  }

  @Test
  void aConnectionHoldsItsPlaceUntilItEnds() {
    TestBroker broker = new TestBroker(1, null);
    EmbeddedChannel first = connection(broker);
    assertThat(connAckReason(connect(first, "first"))).isEqualTo(ReasonCode.SUCCESS);
    assertThat(broker.stats.clientsConnected.get()).isEqualTo(1);

    EmbeddedChannel second = connection(broker);
    assertThat(connAckReason(connect(second, "second"))).isEqualTo(ReasonCode.SERVER_UNAVAILABLE);
    assertThat(second.isOpen()).as("drains for a moment after the refusal").isTrue();
    lingerOver(second);
    assertThat(second.isOpen()).isFalse();
    assertThat(broker.stats.clientsConnected.get()).as("a refusal takes no place").isEqualTo(1);

    first.close();
    first.runPendingTasks();
    assertThat(broker.stats.clientsConnected.get()).isZero();
    EmbeddedChannel third = connection(broker);
    assertThat(connAckReason(connect(third, "third"))).isEqualTo(ReasonCode.SUCCESS);
    assertThat(broker.stats.clientsConnected.get()).isEqualTo(1);
    assertThat(broker.stats.clientsTotal.sum()).isEqualTo(2);
  }

  @Test
  void aRefusedLoginGivesItsPlaceBack() throws Exception {
    SecurityConfig noAnonymous = SecurityConfig.DEFAULT.with(false, List.of(), null, null);
    security = Security.start(BrokerConfig.defaults().withSecurity(noAnonymous), new BrokerStats());
    TestBroker broker = new TestBroker(1, security);
    for (int i = 0; i < 3; i++) {
      EmbeddedChannel ch = connection(broker);
      assertThat(connAckReason(connect(ch, "anonymous" + i))).isEqualTo(ReasonCode.NOT_AUTHORIZED);
      lingerOver(ch);
      assertThat(ch.isOpen()).isFalse();
      assertThat(broker.stats.clientsConnected.get()).isZero();
    }
  }

  @Test
  void everyPacketReadAndWrittenIsCounted() {
    TestBroker broker = new TestBroker(10, null);
    EmbeddedChannel ch = connection(broker);
    connect(ch, "counted");
    ch.writeInbound(PingReq.INSTANCE, PingReq.INSTANCE);
    List<MqttPacket> sent = Wire.sent(ch, MqttVersion.V5);
    assertThat(sent).hasSize(2).allMatch(p -> p instanceof PingResp);
    sent.forEach(ReferenceCountUtil::release);
    assertThat(broker.stats.messagesReceived.sum()).isEqualTo(3); // CONNECT, 2 PINGREQ
    assertThat(broker.stats.messagesSent.sum()).isEqualTo(3); // CONNACK, 2 PINGRESP
  }

  @Test
  void aClientWhoseBufferIsFullIsNotReadUntilItDrains() {
    TestBroker broker = new TestBroker(10, null);
    EmbeddedChannel ch = connection(broker);
    ch.freezeTime();
    connect(ch, "slow").forEach(ReferenceCountUtil::release);
    writable(ch, false); // over the high-water mark
    assertThat(ch.config().isAutoRead()).isFalse();
    writable(ch, true); // drained below the low-water mark
    assertThat(ch.config().isAutoRead()).isTrue();
    ch.advanceTimeBy(1, TimeUnit.HOURS);
    ch.runScheduledPendingTasks();
    assertThat(ch.isOpen())
        .as("keep-alive 0: an idle client that takes what it is sent stays")
        .isTrue();
  }

  @Test
  void anIdleClientWithKeepAliveZeroThatTakesNothingIsClosedAfterTheTimeout() {
    TestBroker broker = new TestBroker(10, null);
    EmbeddedChannel ch = connection(broker);
    ch.freezeTime();
    connect(ch, "stuck").forEach(ReferenceCountUtil::release);
    writable(ch, false);
    ch.advanceTimeBy(AbuseLimits.DEFAULT_UNWRITABLE_TIMEOUT_SECONDS - 1, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertThat(ch.isOpen()).isTrue();
    ch.advanceTimeBy(1, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertThat(ch.isOpen()).isFalse();
    assertThat(broker.stats.unwritableClosed.sum()).isEqualTo(1);
    ch.runPendingTasks();
    assertThat(broker.stats.clientsConnected.get()).as("its session let go").isZero();
  }

  /** The channel goes over (or back under) its outbound high-water mark, as Netty tells it. */
  private static void writable(EmbeddedChannel ch, boolean writable) {
    ch.unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
    ch.runPendingTasks(); // Netty fires the event from a task
    assertThat(ch.isWritable()).isEqualTo(writable);
  }

  /** A broker with a real session layer, to run on the test channel's event loop. */
  private static final class TestBroker implements BrokerContext {
    final BrokerStats stats = new BrokerStats();
    private final BrokerConfig config;
    private final Router router = new Router();
    private final Subscriptions subscriptions;
    private final SessionLifecycle lifecycle;
    private final Security security;

    TestBroker(int maxConnections, Security security) {
      BrokerConfig d = BrokerConfig.defaults();
      BrokerConfig.Limits l = d.limits();
      this.config = d.withLimits(l.toBuilder().maxConnections(maxConnections).build());
      this.subscriptions = new Subscriptions(router, stats, l.maxTopicLevels(), QoS.EXACTLY_ONCE);
      this.lifecycle =
          new SessionLifecycle(
              new SessionRegistry(config.limits(), stats),
              router,
              subscriptions,
              stats,
              () -> false);
      this.security = security != null ? security : Security.open();
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
      return router;
    }

    @Override
    public Subscriptions subscriptions() {
      return subscriptions;
    }

    @Override
    public Security security() {
      return security;
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
      return lifecycle;
    }
  }
}
