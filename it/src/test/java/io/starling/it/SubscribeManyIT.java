package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.Broker;
import io.starling.broker.config.ConfigLoader;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.codec.packet.UnsubAck;
import io.starling.codec.packet.Unsubscribe;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The specification sets no count of filters in one SUBSCRIBE or UNSUBSCRIBE: a packet with 1,000
 * gets an acknowledgement with 1,000 codes, those past {@code abuse.max_subscriptions} refused one
 * by one, never a closed connection.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SubscribeManyIT {
  private static final int FILTERS = 1_000;
  private static final int MAX_SUBSCRIPTIONS = 600;

  private static Broker broker;

  @BeforeAll
  static void start() throws Exception {
    broker =
        TestBroker.start(
            ConfigLoader.parse(
                "abuse:\n  max_subscriptions: " + MAX_SUBSCRIPTIONS + "\n", "test.yaml"));
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  private static List<String> filters(String prefix) {
    return IntStream.range(0, FILTERS).mapToObj(i -> prefix + "/" + i + "/+").toList();
  }

  private static List<ReasonCode> codes(ReasonCode first, int n, ReasonCode rest) {
    List<ReasonCode> out = new ArrayList<>(Collections.nCopies(n, first));
    out.addAll(Collections.nCopies(FILTERS - n, rest));
    return out;
  }

  @Test
  void aThousandFiltersIn50GetAThousandCodes() throws Exception {
    try (RawClient c = RawClient.connect("127.0.0.1", broker.port(), MqttVersion.V5)) {
      c.send(Packets.connect5(uniqueId("many5"), Properties.EMPTY));
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      List<String> filters = filters("many5");
      List<Subscription> subs =
          filters.stream().map(f -> Subscription.of(f, QoS.AT_LEAST_ONCE)).toList();
      c.send(new Subscribe(7, subs, Properties.EMPTY));
      SubAck ack = c.read(SubAck.class);
      assertThat(ack.packetId()).isEqualTo(7);
      assertThat(ack.reasonCodes())
          .as("granted up to abuse.max_subscriptions, quota exceeded past it")
          .isEqualTo(codes(ReasonCode.GRANTED_QOS_1, MAX_SUBSCRIPTIONS, ReasonCode.QUOTA_EXCEEDED));

      c.send(new Unsubscribe(8, filters, Properties.EMPTY));
      UnsubAck unack = c.read(UnsubAck.class);
      assertThat(unack.reasonCodes())
          .isEqualTo(
              codes(ReasonCode.SUCCESS, MAX_SUBSCRIPTIONS, ReasonCode.NO_SUBSCRIPTION_EXISTED));
      c.send(Packets.subscribe(9, "after/unsubscribe", QoS.AT_LEAST_ONCE));
      assertThat(c.read(SubAck.class).reasonCodes())
          .as("the unsubscribed places are free again")
          .containsExactly(ReasonCode.GRANTED_QOS_1);
    }
  }

  @Test
  void aThousandFiltersIn311GetAThousandReturnCodes() throws Exception {
    try (RawClient c = RawClient.connect(broker.port())) {
      c.send(Packets.connect(uniqueId("many3"), true));
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      List<String> filters = filters("many3");
      List<Subscription> subs =
          filters.stream().map(f -> Subscription.of(f, QoS.AT_MOST_ONCE)).toList();
      c.send(new Subscribe(3, subs, Properties.EMPTY));
      assertThat(c.read(SubAck.class).reasonCodes())
          .isEqualTo(codes(ReasonCode.SUCCESS, MAX_SUBSCRIPTIONS, ReasonCode.UNSPECIFIED_ERROR));
      c.send(new Unsubscribe(4, filters, Properties.EMPTY));
      assertThat(c.read(UnsubAck.class).packetId()).isEqualTo(4);
    }
  }
}
