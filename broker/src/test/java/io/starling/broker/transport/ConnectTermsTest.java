package io.starling.broker.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.config.Protocol;
import io.starling.codec.MqttVersion;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import org.junit.jupiter.api.Test;

class ConnectTermsTest {
  private static Connect v5(int keepAlive, Properties props) {
    return new Connect(MqttVersion.V5, "c", true, keepAlive, null, null, null, props);
  }

  @Test
  void aLegacyCleanSessionEndsWithItsConnectionAndAPersistentOneAfterTheConfiguredExpiry() {
    Connect clean =
        new Connect(MqttVersion.V3_1_1, "c", true, 30, null, null, null, Properties.EMPTY);
    Connect kept =
        new Connect(MqttVersion.V3_1_1, "c", false, 30, null, null, null, Properties.EMPTY);
    Connect kept31 =
        new Connect(MqttVersion.V3_1, "c", false, 30, null, null, null, Properties.EMPTY);
    assertThat(ConnectTerms.of(clean, Protocol.DEFAULT).sessionExpirySeconds()).isZero();
    assertThat(ConnectTerms.of(kept, Protocol.DEFAULT).sessionExpirySeconds())
        .as("7 days by default")
        .isEqualTo(604_800);
    assertThat(ConnectTerms.of(kept31, Protocol.DEFAULT.withPersistentSessionExpirySeconds(60)))
        .extracting(ConnectTerms::sessionExpirySeconds)
        .isEqualTo(60L);
    Protocol capped = new Protocol(2, true, 10, 1024, 30, 65535, "", "", false);
    assertThat(ConnectTerms.of(kept, capped).sessionExpirySeconds())
        .as("within mqtt.max_session_expiry_seconds")
        .isEqualTo(30);
    assertThat(
            ConnectTerms.of(
                    kept,
                    Protocol.DEFAULT.withPersistentSessionExpirySeconds(Protocol.NEVER_EXPIRES))
                .sessionExpirySeconds())
        .isEqualTo(Protocol.NEVER_EXPIRES);
  }

  @Test
  void theClientsLimitsAreTakenAndTheSessionExpiryIsCapped() {
    Protocol p = new Protocol(2, true, 10, 1024, 60, 65535, "", "", false);
    Properties props =
        Properties.builder()
            .add(PropertyId.SESSION_EXPIRY_INTERVAL, 3600L)
            .add(PropertyId.RECEIVE_MAXIMUM, 5)
            .add(PropertyId.MAXIMUM_PACKET_SIZE, 1000L)
            .add(PropertyId.TOPIC_ALIAS_MAXIMUM, 3)
            .add(PropertyId.REQUEST_PROBLEM_INFORMATION, 0)
            .build();
    Connect c = v5(30, props);
    ConnectTerms t = ConnectTerms.of(c, p);
    assertThat(t).isEqualTo(new ConnectTerms(60, 30, 5, 1000, 3, false));
    Properties ack = t.connAckProperties(c, p, null, 4096);
    // The capped expiry is told to the client; nothing was assigned.
    assertThat(ack.longValue(PropertyId.SESSION_EXPIRY_INTERVAL)).hasValue(60);
    assertThat(ack.contains(PropertyId.ASSIGNED_CLIENT_IDENTIFIER)).isFalse();
    assertThat(ack.longValue(PropertyId.MAXIMUM_PACKET_SIZE)).hasValue(4096);
    assertThat(ack.intValue(PropertyId.TOPIC_ALIAS_MAXIMUM)).hasValue(10);
    assertThat(ack.intValue(PropertyId.RECEIVE_MAXIMUM)).hasValue(1024);
    assertThat(ack.contains(PropertyId.MAXIMUM_QOS)).isFalse();
    assertThat(ack.contains(PropertyId.SERVER_KEEP_ALIVE)).isFalse();
  }

  @Test
  void aKeepAliveAboveTheMaximumIsReplacedAndTold() {
    Protocol p = new Protocol(1, false, 0, 65535, Protocol.NEVER_EXPIRES, 60, "", "", false);
    Connect none = v5(0, Properties.EMPTY);
    ConnectTerms t = ConnectTerms.of(none, p);
    assertThat(t.keepAliveSeconds()).isEqualTo(60);
    Properties ack = t.connAckProperties(none, p, "auto-1", 1024);
    assertThat(ack.intValue(PropertyId.SERVER_KEEP_ALIVE)).hasValue(60);
    assertThat(ack.intValue(PropertyId.MAXIMUM_QOS)).hasValue(1);
    assertThat(ack.intValue(PropertyId.RETAIN_AVAILABLE)).hasValue(0);
    assertThat(ack.stringValue(PropertyId.ASSIGNED_CLIENT_IDENTIFIER)).hasValue("auto-1");
    assertThat(ack.contains(PropertyId.TOPIC_ALIAS_MAXIMUM)).isFalse();
    assertThat(ack.contains(PropertyId.RECEIVE_MAXIMUM)).isFalse();
    assertThat(ConnectTerms.of(v5(30, Properties.EMPTY), p).keepAliveSeconds()).isEqualTo(30);
  }

  @Test
  void responseInformationGoesOnlyToClientsThatAskForIt() {
    Protocol p = new Protocol(2, true, 10, 1024, Protocol.NEVER_EXPIRES, 65535, "r/%c/", "", false);
    Connect asks =
        v5(30, Properties.builder().add(PropertyId.REQUEST_RESPONSE_INFORMATION, 1).build());
    assertThat(
            ConnectTerms.of(asks, p)
                .connAckProperties(asks, p, null, 1024)
                .stringValue(PropertyId.RESPONSE_INFORMATION))
        .hasValue("r/c/");
    Connect silent = v5(30, Properties.EMPTY);
    assertThat(
            ConnectTerms.of(silent, p)
                .connAckProperties(silent, p, null, 1024)
                .contains(PropertyId.RESPONSE_INFORMATION))
        .isFalse(); // [MQTT-3.1.2-28]
  }
}
