package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.SecurityConfig;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Will;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A will topic passes, at CONNECT time, exactly the checks a PUBLISH topic passes: the level limit,
 * not a {@code $} topic, and the ACL's write permission. A will that fails is refused with the
 * CONNACK reason code for it, and nothing of it is kept.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WillTopicIT {
  @TempDir Path dir;
  Broker broker;

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  private static String deepTopic(int levels) {
    return "deep/" + "x/".repeat(levels - 2) + "end";
  }

  private static Connect withWill(MqttVersion v, String id, Will will) {
    return new Connect(v, id, true, 60, null, null, will, Properties.EMPTY);
  }

  private static ReasonCode connAck(int port, MqttVersion v, Will will) throws IOException {
    try (RawClient c = RawClient.connect("127.0.0.1", port, v)) {
      c.send(withWill(v, uniqueId("will"), will));
      ConnAck ack = c.read(ConnAck.class);
      if (ack.reasonCode() != ReasonCode.SUCCESS) {
        assertThat(c.isClosedWithin(Duration.ofSeconds(2))).as("closed after a refusal").isTrue();
      }
      return ack.reasonCode();
    }
  }

  @Test
  void aRetainedWillOf32000LevelsIsRefusedAndAHashSubscriberIsServed() throws Exception {
    broker = TestBroker.start();
    Will poison = Packets.will(deepTopic(32_000), "boom", QoS.AT_LEAST_ONCE, true);

    assertThat(connAck(broker.port(), MqttVersion.V5, poison))
        .as("5.0: topic name invalid")
        .isEqualTo(ReasonCode.TOPIC_NAME_INVALID);
    assertThat(connAck(broker.port(), MqttVersion.V3_1_1, poison))
        .as("3.1.1 has no such code: not authorized (return code 5)")
        .isEqualTo(ReasonCode.NOT_AUTHORIZED);
    // A will at the limit is still accepted: the check is the limit, not a smaller one.
    Will atLimit = Packets.will(deepTopic(128), "ok", QoS.AT_LEAST_ONCE, true);
    try (RawClient c = RawClient.connect(broker.port())) {
      c.send(withWill(MqttVersion.V3_1_1, uniqueId("limit"), atLimit));
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    } // closed without DISCONNECT: the will at the limit is published and retained

    try (RawClient sub = RawClient.connect(broker.port())) {
      sub.send(Packets.connect(uniqueId("hash"), true));
      assertThat(sub.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      sub.send(Packets.subscribe(1, "#", QoS.AT_LEAST_ONCE));
      assertThat(sub.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.GRANTED_QOS_1);
      Publish retained = sub.read(Publish.class);
      assertThat(retained.topic())
          .as("only the will within the limit was kept")
          .isEqualTo(atLimit.topic());
      sub.send(Packets.publish("after/deep", "alive", QoS.AT_MOST_ONCE, 0));
      assertThat(Packets.text(sub.read(Publish.class))).isEqualTo("alive");
    }
  }

  @Test
  void aWillToADollarTopicIsRefused() throws Exception {
    broker = TestBroker.start();
    Will sys = Packets.will("$SYS/broker/uptime", "forged", QoS.AT_MOST_ONCE, true);
    assertThat(connAck(broker.port(), MqttVersion.V5, sys)).isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(connAck(broker.port(), MqttVersion.V3_1_1, sys))
        .isEqualTo(ReasonCode.NOT_AUTHORIZED);
  }

  @Test
  void aWillTheAclForbidsIsRefusedAtConnect() throws Exception {
    Path acl = dir.resolve("acl");
    Files.writeString(
        acl, String.join("\n", "all deny alarms/#", "all readwrite #", ""), StandardCharsets.UTF_8);
    broker =
        TestBroker.start(
            BrokerConfig.defaults()
                .withSecurity(SecurityConfig.DEFAULT.with(true, List.of(), null, acl)));
    Will forbidden = Packets.will("alarms/fire", "forged", QoS.AT_LEAST_ONCE, false);
    assertThat(connAck(broker.port(), MqttVersion.V5, forbidden))
        .isEqualTo(ReasonCode.NOT_AUTHORIZED);
    assertThat(connAck(broker.port(), MqttVersion.V3_1_1, forbidden))
        .isEqualTo(ReasonCode.NOT_AUTHORIZED);
    Will allowed = Packets.will("status/dev", "gone", QoS.AT_LEAST_ONCE, false);
    assertThat(connAck(broker.port(), MqttVersion.V5, allowed)).isEqualTo(ReasonCode.SUCCESS);
  }
}
