package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A SUBSCRIBE whose filter equals one the session holds replaces that subscription, sends the
 * matching retained messages again and does not interrupt the flow of messages (3.1.1
 * [MQTT-3.8.4-3]; 5.0 [MQTT-3.8.4-3] and, with Retain Handling 0, [MQTT-3.8.4-4]): a subscriber
 * re-subscribes to its filter again and again while a publisher sends a numbered QoS 1 stream to
 * it, and gets every number, in order [MQTT-4.6.0-5] (5.0 [MQTT-4.6.0-6]), and the retained message
 * once per SUBSCRIBE.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResubscribeIT {
  private static final int MESSAGES = 3_000;
  private static final int RESUBSCRIBES = 10;
  private static final int EVERY = MESSAGES / (RESUBSCRIBES + 2);
  private static final String RETAINED = "retained";

  private static Broker broker;

  @BeforeAll
  static void start() {
    broker = TestBroker.start(BrokerConfig.defaults().withListener("127.0.0.1", 0));
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  @ParameterizedTest
  @EnumSource(
      value = MqttVersion.class,
      names = {"V3_1_1", "V5"})
  void resubscribingLosesNothingAndResendsTheRetainedMessageEachTime(MqttVersion version)
      throws Exception {
    String filter = "resub/" + ItSupport.uniqueId(version.name()) + "/#";
    String base = filter.substring(0, filter.length() - 2);
    try (RawClient sub = connect(version, "resub-sub");
        RawClient pub = connect(version, "resub-pub")) {
      Publish retained =
          new Publish(
              base + "/state",
              QoS.AT_LEAST_ONCE,
              true,
              false,
              1,
              Properties.EMPTY,
              Unpooled.copiedBuffer(RETAINED, StandardCharsets.UTF_8));
      pub.send(retained);
      assertThat(pub.read(PubAck.class).packetId()).isEqualTo(1);

      int subscribeId = 1;
      sub.send(Packets.subscribe(subscribeId, filter, QoS.AT_LEAST_ONCE));
      int subscribes = 1;
      CompletableFuture<Void> stream =
          CompletableFuture.runAsync(
              () -> {
                try {
                  for (int i = 0; i < MESSAGES; i++) {
                    int id = i % 65_000 + 2;
                    pub.send(
                        Packets.publish(
                            base + "/stream", Integer.toString(i), QoS.AT_LEAST_ONCE, id));
                    PubAck ack = pub.read(PubAck.class);
                    assertThat(ack.packetId()).isEqualTo(id);
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });

      BitSet seen = new BitSet(MESSAGES);
      List<Integer> order = new ArrayList<>(MESSAGES);
      int retainedCopies = 0;
      int subAcks = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
      while ((seen.cardinality() < MESSAGES || retainedCopies < subscribes || subAcks < subscribes)
          && System.nanoTime() < deadline) {
        MqttPacket p;
        try {
          p = sub.read(Duration.ofSeconds(2));
        } catch (SocketTimeoutException quiet) {
          if (stream.isDone()) {
            break; // everything was published and nothing more comes: what is missing is lost
          }
          continue;
        }
        if (p instanceof SubAck ack) {
          assertThat(ack.reasonCodes()).containsExactly(ReasonCode.GRANTED_QOS_1);
          subAcks++;
        } else if (p instanceof Publish m) {
          if (m.qos() != QoS.AT_MOST_ONCE) {
            sub.send(PubAck.of(m.packetId()));
          }
          String text = Packets.text(m);
          if (m.retained()) {
            // Sent because of a SUBSCRIBE (RETAIN 1) [MQTT-3.3.1-8]; never a live message.
            assertThat(text).isEqualTo(RETAINED);
            assertThat(m.topic()).isEqualTo(base + "/state");
            retainedCopies++;
          } else {
            int n = Integer.parseInt(text);
            order.add(n);
            seen.set(n);
            if (order.size() % EVERY == 0 && subscribes <= RESUBSCRIBES) {
              sub.send(Packets.subscribe(++subscribeId, filter, QoS.AT_LEAST_ONCE));
              subscribes++;
            }
          }
        }
      }
      stream.get(10, TimeUnit.SECONDS);
      assertThat(subscribes).as("re-subscribed during the stream").isEqualTo(RESUBSCRIBES + 1);
      assertThat(seen.cardinality())
          .as("numbers missing: first is %d", seen.nextClearBit(0))
          .isEqualTo(MESSAGES);
      assertThat(order).as("in the order published").isSorted();
      assertThat(subAcks).isEqualTo(subscribes);
      assertThat(retainedCopies)
          .as("the retained message once per SUBSCRIBE")
          .isEqualTo(subscribes);
    }
  }

  private static RawClient connect(MqttVersion version, String prefix) throws Exception {
    RawClient c = RawClient.connect("127.0.0.1", broker.port(), version);
    String id = ItSupport.uniqueId(prefix);
    c.send(
        version == MqttVersion.V5
            ? Packets.connect5(id, Properties.EMPTY)
            : Packets.connect(id, true));
    assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    return c;
  }
}
