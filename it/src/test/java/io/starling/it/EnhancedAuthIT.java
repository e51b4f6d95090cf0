package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.security.EnhancedAuthenticator;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.PubAck;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The AUTH exchange of MQTT 5.0 (section 4.12) over raw sockets, with a challenge-response method
 * registered for the test: the broker sends a challenge, the client answers {@code
 * challenge:secret}.
 */
@Timeout(30)
class EnhancedAuthIT {
  private static final String METHOD = "TEST-CHALLENGE";
  private Broker broker;
  private int port;

  /** Challenge, then check the answer; the user is the answer's last part. */
  static final class ChallengeAuthenticator implements EnhancedAuthenticator {
    @Override
    public String method() {
      return METHOD;
    }

    @Override
    public Exchange start() {
      return new Exchange() {
        private boolean challenged;

        @Override
        public Step step(byte[] clientData) {
          if (!challenged) {
            challenged = true;
            return Step.proceed(bytes("nonce-42"));
          }
          String answer = new String(clientData, StandardCharsets.UTF_8);
          return answer.equals("nonce-42:secret")
              ? Step.success(bytes("welcome"), "alice")
              : Step.failure(new byte[0]);
        }
      };
    }
  }

  @BeforeEach
  void start() {
    broker = TestBroker.start(BrokerConfig.defaults().withListener("127.0.0.1", 0));
    broker.addEnhancedAuthenticator(new ChallengeAuthenticator());
    port = broker.port();
  }

  @AfterEach
  void stop() {
    broker.close();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Properties auth(String method, String data) {
    Properties.Builder b = Properties.builder().add(PropertyId.AUTHENTICATION_METHOD, method);
    if (data != null) {
      b.add(PropertyId.AUTHENTICATION_DATA, BinaryData.of(bytes(data)));
    }
    return b.build();
  }

  private static Connect connect(String id, Properties props) {
    return new Connect(MqttVersion.V5, id, true, 60, null, null, null, props);
  }

  private static String data(Properties p) {
    return p.binaryValue(PropertyId.AUTHENTICATION_DATA)
        .map(d -> new String(d.toByteArray(), StandardCharsets.UTF_8))
        .orElse("");
  }

  private RawClient authenticated(String id) throws Exception {
    RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5);
    c.send(connect(id, auth(METHOD, null)));
    Auth challenge = c.read(Auth.class);
    assertThat(challenge.reasonCode()).isEqualTo(ReasonCode.CONTINUE_AUTHENTICATION);
    assertThat(data(challenge.properties())).isEqualTo("nonce-42");
    c.send(new Auth(ReasonCode.CONTINUE_AUTHENTICATION, auth(METHOD, "nonce-42:secret")));
    ConnAck ack = c.read(ConnAck.class);
    assertThat(ack.reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    // The method of CONNECT comes back with the final data [MQTT-4.12.0-5].
    assertThat(ack.properties().stringValue(PropertyId.AUTHENTICATION_METHOD)).hasValue(METHOD);
    assertThat(data(ack.properties())).isEqualTo("welcome");
    return c;
  }

  private void assertAnotherClientWorks() throws Exception {
    try (RawClient other = RawClient.connect("127.0.0.1", port, MqttVersion.V5)) {
      other.send(connect(ItSupport.uniqueId("other"), Properties.EMPTY));
      assertThat(other.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      other.send(Packets.publish("t", "x", QoS.AT_LEAST_ONCE, 1));
      assertThat(other.read(PubAck.class).packetId()).isEqualTo(1);
    }
  }

  @Test
  void aChallengeAnsweredRightConnects() throws Exception {
    try (RawClient c = authenticated(ItSupport.uniqueId("auth"))) {
      c.send(PingReq.INSTANCE);
      assertThat(c.read()).isInstanceOf(PingResp.class);
    }
  }

  @Test
  void aWrongAnswerIsRefusedWithNotAuthorized() throws Exception {
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5)) {
      c.send(connect(ItSupport.uniqueId("auth"), auth(METHOD, null)));
      c.read(Auth.class);
      c.send(new Auth(ReasonCode.CONTINUE_AUTHENTICATION, auth(METHOD, "nonce-42:guess")));
      // [MQTT-4.12.0-4]
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    }
    assertAnotherClientWorks();
  }

  @Test
  void anUnknownMethodIsRefusedWithBadAuthenticationMethod() throws Exception {
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5)) {
      c.send(connect(ItSupport.uniqueId("auth"), auth("SCRAM-SHA-1", "n,,n=u,r=x")));
      // [MQTT-4.12.0-1]
      assertThat(c.read(ConnAck.class).reasonCode())
          .isEqualTo(ReasonCode.BAD_AUTHENTICATION_METHOD);
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    }
  }

  @Test
  void anotherPacketDuringTheExchangeClosesTheConnectionWithoutDisconnect() throws Exception {
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5)) {
      c.send(connect(ItSupport.uniqueId("auth"), auth(METHOD, null)));
      c.read(Auth.class);
      c.send(PingReq.INSTANCE);
      // No DISCONNECT before CONNACK [MQTT-3.14.0-1]: just closed.
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    }
    assertAnotherClientWorks();
  }

  @Test
  void authWithoutAMethodInConnectIsAProtocolError() throws Exception {
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5)) {
      c.send(connect(ItSupport.uniqueId("plain"), Properties.EMPTY));
      c.read(ConnAck.class);
      c.send(new Auth(ReasonCode.REAUTHENTICATE, auth(METHOD, null)));
      // [MQTT-4.12.0-7]
      assertThat(c.read(Disconnect.class).reasonCode()).isEqualTo(ReasonCode.PROTOCOL_ERROR);
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    }
  }

  @Test
  void reauthenticationRunsTheExchangeAgain() throws Exception {
    try (RawClient c = authenticated(ItSupport.uniqueId("auth"))) {
      c.send(new Auth(ReasonCode.REAUTHENTICATE, auth(METHOD, null)));
      Auth challenge = c.read(Auth.class);
      assertThat(challenge.reasonCode()).isEqualTo(ReasonCode.CONTINUE_AUTHENTICATION);
      c.send(new Auth(ReasonCode.CONTINUE_AUTHENTICATION, auth(METHOD, "nonce-42:secret")));
      Auth done = c.read(Auth.class);
      assertThat(done.reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      assertThat(data(done.properties())).isEqualTo("welcome");
      c.send(PingReq.INSTANCE);
      assertThat(c.read()).isInstanceOf(PingResp.class);
    }
  }

  @Test
  void reauthenticationWithAnotherMethodIsAProtocolError() throws Exception {
    try (RawClient c = authenticated(ItSupport.uniqueId("auth"))) {
      c.send(new Auth(ReasonCode.REAUTHENTICATE, auth("OTHER", null)));
      // [MQTT-4.12.1-1]
      assertThat(c.read(Disconnect.class).reasonCode()).isEqualTo(ReasonCode.PROTOCOL_ERROR);
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    }
  }

  @Test
  void aFailedReauthenticationEndsTheConnection() throws Exception {
    try (RawClient c = authenticated(ItSupport.uniqueId("auth"))) {
      c.send(new Auth(ReasonCode.REAUTHENTICATE, auth(METHOD, null)));
      c.read(Auth.class);
      c.send(new Auth(ReasonCode.CONTINUE_AUTHENTICATION, auth(METHOD, "wrong")));
      // [MQTT-4.12.1-2]
      assertThat(c.read(Disconnect.class).reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    }
    assertAnotherClientWorks();
  }
}
