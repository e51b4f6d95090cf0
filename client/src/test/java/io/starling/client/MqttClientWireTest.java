package io.starling.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.Publish;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the client puts on the wire for MQTT 5.0 features, seen by a scripted broker. */
@Timeout(30)
class MqttClientWireTest {
  private ScriptedBroker broker;
  private MqttClient client;

  @BeforeEach
  void start() throws Exception {
    broker = new ScriptedBroker();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    broker.close();
  }

  private CompletableFuture<ConnectResult> connect(MqttClientBuilder b, Properties connAck)
      throws Exception {
    client = b.host("127.0.0.1").port(broker.port()).version(MqttVersion.V5).build();
    CompletableFuture<ConnectResult> f = client.connect();
    broker.next(Connect.class);
    broker.send(new ConnAck(false, ReasonCode.SUCCESS, connAck));
    return f;
  }

  @Test
  void receiveMaximumOfTheBrokerBoundsMessagesInFlight() throws Exception {
    connect(MqttClient.builder(), Properties.builder().add(PropertyId.RECEIVE_MAXIMUM, 2).build())
        .join();
    List<CompletableFuture<ReasonCode>> acks = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      acks.add(client.publish("t", "m" + i, QoS.AT_LEAST_ONCE));
    }
    Publish first = broker.next(Publish.class);
    Publish second = broker.next(Publish.class);
    assertThat(broker.quietFor(300)).isTrue(); // the third waits for an acknowledgement
    broker.send(PubAck.of(first.packetId()));
    Publish third = broker.next(Publish.class);
    assertThat(third.payload().toString(StandardCharsets.UTF_8)).isEqualTo("m2");
    assertThat(acks.get(0).join()).isEqualTo(ReasonCode.SUCCESS);
    assertThat(acks.get(1)).isNotDone();
    broker.send(PubAck.of(second.packetId()));
    assertThat(acks.get(1).join()).isEqualTo(ReasonCode.SUCCESS);
  }

  @Test
  void topicAliasesReplaceRepeatedTopicsWithinTheBrokersMaximum() throws Exception {
    connect(
            MqttClient.builder(),
            Properties.builder().add(PropertyId.TOPIC_ALIAS_MAXIMUM, 1).build())
        .join();
    client.publish("long/topic/name", "1", QoS.AT_MOST_ONCE);
    client.publish("long/topic/name", "2", QoS.AT_MOST_ONCE);
    client.publish("other", "3", QoS.AT_MOST_ONCE);
    Publish a = broker.next(Publish.class);
    Publish b = broker.next(Publish.class);
    Publish c = broker.next(Publish.class);
    assertThat(a.topic()).isEqualTo("long/topic/name");
    assertThat(a.properties().intValue(PropertyId.TOPIC_ALIAS)).hasValue(1);
    assertThat(b.topic()).isEmpty();
    assertThat(b.properties().intValue(PropertyId.TOPIC_ALIAS)).hasValue(1);
    assertThat(c.topic()).as("no alias left for a second topic").isEqualTo("other");
    assertThat(c.properties().contains(PropertyId.TOPIC_ALIAS)).isFalse();
  }

  @Test
  void aRefusedPublishCarriesTheReasonCodeAndString() throws Exception {
    connect(MqttClient.builder(), Properties.EMPTY).join();
    CompletableFuture<ReasonCode> ack = client.publish("t", "x", QoS.AT_LEAST_ONCE);
    Publish p = broker.next(Publish.class);
    broker.send(
        new PubAck(
            p.packetId(),
            ReasonCode.NOT_AUTHORIZED,
            Properties.builder().add(PropertyId.REASON_STRING, "no writes to t").build()));
    assertThatThrownBy(ack::join)
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOfSatisfying(
            MqttClientException.class,
            e -> {
              assertThat(e.reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED);
              assertThat(e.reasonString()).isEqualTo("no writes to t");
              assertThat(e.getMessage()).contains("Not authorized (0x87)").contains("no writes");
            });
  }

  @Test
  void aRefusedConnectCarriesTheReasonCode() throws Exception {
    client =
        MqttClient.builder().host("127.0.0.1").port(broker.port()).version(MqttVersion.V5).build();
    CompletableFuture<ConnectResult> f = client.connect();
    broker.next(Connect.class);
    broker.send(
        new ConnAck(
            false,
            ReasonCode.BANNED,
            Properties.builder().add(PropertyId.REASON_STRING, "go away").build()));
    assertThatThrownBy(f::join)
        .cause()
        .isInstanceOfSatisfying(
            MqttClientException.class,
            e -> {
              assertThat(e.reasonCode()).isEqualTo(ReasonCode.BANNED);
              assertThat(e.reasonString()).isEqualTo("go away");
            });
  }

  @Test
  void enhancedAuthAnswersChallengesThroughTheHook() throws Exception {
    List<String> challenges = new ArrayList<>();
    EnhancedAuth auth =
        new EnhancedAuth() {
          @Override
          public String method() {
            return "TEST-CHALLENGE";
          }

          @Override
          public byte[] initialData() {
            return "hello".getBytes(StandardCharsets.UTF_8);
          }

          @Override
          public byte[] respond(byte[] challenge) {
            String c = new String(challenge, StandardCharsets.UTF_8);
            challenges.add(c);
            return ("answer to " + c).getBytes(StandardCharsets.UTF_8);
          }
        };
    client =
        MqttClient.builder()
            .host("127.0.0.1")
            .port(broker.port())
            .version(MqttVersion.V5)
            .enhancedAuth(auth)
            .build();
    CompletableFuture<ConnectResult> f = client.connect();
    Connect connect = broker.next(Connect.class);
    assertThat(connect.properties().stringValue(PropertyId.AUTHENTICATION_METHOD))
        .hasValue("TEST-CHALLENGE");
    assertThat(connect.properties().binaryValue(PropertyId.AUTHENTICATION_DATA))
        .hasValue(BinaryData.of("hello".getBytes(StandardCharsets.UTF_8)));
    broker.send(
        new Auth(
            ReasonCode.CONTINUE_AUTHENTICATION,
            Properties.builder()
                .add(PropertyId.AUTHENTICATION_METHOD, "TEST-CHALLENGE")
                .add(
                    PropertyId.AUTHENTICATION_DATA,
                    BinaryData.of("nonce-1".getBytes(StandardCharsets.UTF_8)))
                .build()));
    Auth answer = broker.next(Auth.class);
    assertThat(answer.reasonCode()).isEqualTo(ReasonCode.CONTINUE_AUTHENTICATION);
    assertThat(answer.properties().binaryValue(PropertyId.AUTHENTICATION_DATA))
        .hasValue(BinaryData.of("answer to nonce-1".getBytes(StandardCharsets.UTF_8)));
    broker.send(new ConnAck(false, ReasonCode.SUCCESS, Properties.EMPTY));
    assertThat(f.join().sessionPresent()).isFalse();
    assertThat(challenges).containsExactly("nonce-1");
  }

  /**
   * Idle for the keep-alive: PINGREQ. A broker that stops answering is given up after one and a
   * half keep-alives, and the client connects again by itself.
   */
  @Test
  void keepAlivePingsAndGivesUpOnASilentBroker() throws Exception {
    connect(
            MqttClient.builder()
                .keepAliveSeconds(1)
                .automaticReconnect(Duration.ofMillis(10), Duration.ofMillis(20)),
            Properties.EMPTY)
        .join();
    broker.next(PingReq.class);
    broker.send(PingResp.INSTANCE);
    assertThat(client.isConnected()).isTrue();
    broker.next(PingReq.class); // not answered this time
    broker.next(Connect.class);
    assertThat(client.isConnected()).isFalse();
    broker.send(new ConnAck(false, ReasonCode.SUCCESS, Properties.EMPTY));
    await().atMost(Duration.ofSeconds(5)).until(client::isConnected);
  }

  @Test
  void disconnectingBeforeTheConnAckFailsTheConnect() throws Exception {
    client =
        MqttClient.builder().host("127.0.0.1").port(broker.port()).version(MqttVersion.V5).build();
    CompletableFuture<ConnectResult> f = client.connect();
    broker.next(Connect.class);
    client.disconnect().join();
    assertThatThrownBy(f::join)
        .cause()
        .isInstanceOf(MqttClientException.class)
        .hasMessageContaining("disconnected before the broker answered");
  }

  @Test
  void v5PropertiesReachTheWire() throws Exception {
    connect(MqttClient.builder(), Properties.EMPTY).join();
    client.publish(
        Message.builder("t")
            .payload("x")
            .userProperty("a", "b")
            .messageExpirySeconds(30)
            .responseTopic("r")
            .correlationData(new byte[] {9})
            .build());
    Publish p = broker.next(Publish.class);
    assertThat(p.properties().userProperties())
        .extracting(u -> u.name() + "=" + u.value())
        .containsExactly("a=b");
    assertThat(p.properties().longValue(PropertyId.MESSAGE_EXPIRY_INTERVAL)).hasValue(30L);
    assertThat(p.properties().stringValue(PropertyId.RESPONSE_TOPIC)).hasValue("r");
  }
}
