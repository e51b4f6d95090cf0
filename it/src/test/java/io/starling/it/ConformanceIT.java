package io.starling.it;

import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.metrics.BrokerStats;
import io.starling.broker.routing.Router;
import io.starling.broker.security.EnhancedAuthenticator;
import io.starling.broker.session.SessionLifecycle;
import io.starling.broker.session.Subscriptions;
import io.starling.broker.transport.BrokerContext;
import io.starling.broker.transport.MqttConnection;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.VariableByteInteger;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.codec.packet.UnsubAck;
import io.starling.codec.packet.Unsubscribe;
import io.starling.codec.wire.PacketEncoder;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import io.starling.testkit.TestBroker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MQTT 3.1.1 normative statements that bind a Server, one test (or a few) per statement, each
 * citing its statement id. {@code docs/conformance.md} maps every statement to its tests.
 *
 * <p>Most tests drive the broker with {@link RawClient}, which sends exactly the bytes it is given
 * and shows exactly the packets the broker sends back (through Starling's strict decoder, so every
 * packet read is also checked for well-formedness). Where a test must show that something did
 * <em>not</em> happen (no will, no delivery), it first makes sure the broker is done with the cause
 * (a later packet on the same connection was answered, or a new CONNECT with the same client id
 * was), then publishes a marker and checks that the marker is the next thing to arrive: whatever
 * should not have happened would have been routed before it.
 *
 * <p>Every test uses topics and client ids of its own; retained messages outlive their test, so
 * only a test that subscribes to {@code #} sees those of others, and it skips them.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConformanceIT {
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private static Broker broker;
  private static int port;
  private final List<RawClient> raws = new ArrayList<>();

  @BeforeAll
  static void startBroker() {
    broker = TestBroker.start();
    port = broker.port();
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @AfterEach
  void closeClients() {
    for (RawClient c : raws) {
      try {
        c.close();
      } catch (IOException e) {
        // closed by the test already
      }
    }
  }

  // ==== 1.5.3 UTF-8 encoded strings ==========================================================

  @ParameterizedTest(name = "topic bytes 61 {0}")
  @ValueSource(strings = {"ED A0 80", "C0 AF", "FF", "E2 82", "F4 90 80 80"})
  void illFormedUtf8InATopicNameClosesTheConnection(String bad) throws IOException {
    // [MQTT-1.5.3-1] [MQTT-3.3.2-1]: a surrogate, an overlong '/', a byte never used in UTF-8,
    // a truncated sequence, a code point above U+10FFFF.
    RawClient c = connected(uniqueId("utf8"), true);
    c.send(frame(0x30, rawString(concat(bytes(0x61), hex(bad))), ascii("x")));
    assertClosedWithoutReply(c);
  }

  @Test
  void aNullCharacterInATopicNameClosesTheConnection() throws IOException {
    // [MQTT-1.5.3-2] [MQTT-4.7.3-2]
    RawClient c = connected(uniqueId("nul"), true);
    c.send(frame(0x30, rawString(bytes('a', 0, 'b')), ascii("x")));
    assertClosedWithoutReply(c);
  }

  @Test
  void aNullCharacterInATopicFilterClosesTheConnection() throws IOException {
    // [MQTT-1.5.3-2] [MQTT-4.7.3-2]
    RawClient c = connected(uniqueId("nulf"), true);
    c.send(frame(0x82, u16(1), rawString(bytes('a', 0)), bytes(0)));
    assertClosedWithoutReply(c);
  }

  @Test
  void aByteOrderMarkInATopicIsNeitherSkippedNorStripped() throws IOException {
    // [MQTT-1.5.3-3]: EF BB BF is U+FEFF wherever it stands, part of the topic.
    String withBom = "\uFEFFbom/t";
    RawClient sub = connected(uniqueId("bom"), true);
    subscribe(sub, 1, withBom, QoS.AT_MOST_ONCE);
    subscribe(sub, 2, "bom/t", QoS.AT_MOST_ONCE);
    RawClient pub = connected(uniqueId("bompub"), true);
    pub.send(Packets.publish(withBom, "with bom", QoS.AT_MOST_ONCE, 0));
    pub.send(Packets.publish("bom/t", "without", QoS.AT_MOST_ONCE, 0));
    // Had the mark been stripped, the first message would arrive as "bom/t", or twice.
    assertThat(receive(sub).seen())
        .isEqualTo(new Seen(withBom, "with bom", QoS.AT_MOST_ONCE, false));
    assertThat(receive(sub).seen())
        .isEqualTo(new Seen("bom/t", "without", QoS.AT_MOST_ONCE, false));
  }

  // ==== 2.2 fixed header, 2.3 packet identifiers =============================================

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "42 02 00 01", // PUBACK, flags 0010
        "51 02 00 01", // PUBREC, flags 0001
        "78 02 00 01", // PUBCOMP, flags 1000
        "C1 00", // PINGREQ, flags 0001
        "C8 00", // PINGREQ, flags 1000
      })
  void invalidFixedHeaderFlagsCloseTheConnection(String packet) throws IOException {
    // [MQTT-2.2.2-2]
    RawClient c = connected(uniqueId("flags"), true);
    c.send(hex(packet));
    assertClosedWithoutReply(c);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "32 06 00 01 74 00 00 78", // PUBLISH QoS 1 to "t", packet identifier 0
        "34 06 00 01 74 00 00 78", // PUBLISH QoS 2 to "t", packet identifier 0
        "82 06 00 00 00 01 74 00", // SUBSCRIBE, packet identifier 0
        "A2 05 00 00 00 01 74", // UNSUBSCRIBE, packet identifier 0
      })
  void packetIdentifierZeroIsRefused(String packet) throws IOException {
    // [MQTT-2.3.1-1]
    RawClient c = connected(uniqueId("pid0"), true);
    c.send(hex(packet));
    assertClosedWithoutReply(c);
  }

  @Test
  void messagesInFlightHaveDistinctNonZeroPacketIdentifiers() throws IOException {
    // [MQTT-2.3.1-1] [MQTT-2.3.1-4] [MQTT-4.3.2-1]: ten QoS 1 messages unacknowledged at once.
    RawClient sub = connected(uniqueId("ids"), true);
    subscribe(sub, 1, "ids/t", QoS.AT_LEAST_ONCE);
    RawClient pub = connected(uniqueId("idspub"), true);
    for (int i = 1; i <= 10; i++) {
      pub.send(Packets.publish("ids/t", "m" + i, QoS.AT_LEAST_ONCE, i));
      assertThat(pub.read(PubAck.class).packetId()).isEqualTo(i);
    }
    Set<Integer> ids = new HashSet<>();
    for (int i = 1; i <= 10; i++) {
      Msg m = receive(sub);
      assertThat(m.payload()).isEqualTo("m" + i);
      assertThat(m.qos()).isEqualTo(QoS.AT_LEAST_ONCE);
      assertThat(m.dup()).isFalse();
      assertThat(m.packetId()).isBetween(1, 0xFFFF);
      ids.add(m.packetId());
    }
    assertThat(ids).hasSize(10);
    for (int id : ids) {
      sub.send(PubAck.of(id));
    }
    assertPingAnswered(sub);
  }

  @Test
  void unacknowledgedQos1MessagesAreResentInOrderWithDupAndTheirIdentifiers() throws IOException {
    // [MQTT-4.4.0-1] [MQTT-4.6.0-1] [MQTT-3.3.1-1] [MQTT-2.3.1-4] [MQTT-4.3.2-1]
    String id = uniqueId("resend1");
    RawClient sub = connected(id, false);
    subscribe(sub, 1, "resend1/t", QoS.AT_LEAST_ONCE);
    RawClient pub = connected(uniqueId("resend1pub"), true);
    for (int i = 1; i <= 5; i++) {
      pub.send(Packets.publish("resend1/t", "m" + i, QoS.AT_LEAST_ONCE, i));
      pub.read(PubAck.class);
    }
    List<Msg> first = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      first.add(receive(sub));
    }
    sub.send(PubAck.of(first.get(1).packetId())); // only m2 is acknowledged
    assertPingAnswered(sub);
    sub.close(); // no DISCONNECT

    RawClient again = open();
    again.send(Packets.connect(id, false));
    assertThat(again.read(ConnAck.class).sessionPresent()).isTrue();
    for (int i : new int[] {0, 2, 3, 4}) {
      Msg m = receive(again);
      Msg original = first.get(i);
      assertThat(m.payload()).isEqualTo(original.payload());
      assertThat(m.packetId()).isEqualTo(original.packetId());
      assertThat(m.dup()).isTrue();
      again.send(PubAck.of(m.packetId()));
    }
    assertPingAnswered(again);
  }

  @Test
  void acknowledgementsCarryThePacketIdentifierOfThePublish() throws IOException {
    // [MQTT-2.3.1-6]: PUBACK and PUBREC from the broker as receiver, PUBREL as sender.
    RawClient pub = connected(uniqueId("ackid"), true);
    pub.send(Packets.publish("ackid/t", "one", QoS.AT_LEAST_ONCE, 4242));
    assertThat(pub.read(PubAck.class).packetId()).isEqualTo(4242);
    pub.send(Packets.publish("ackid/t", "two", QoS.EXACTLY_ONCE, 4343));
    assertThat(pub.read(PubRec.class).packetId()).isEqualTo(4343);
    pub.send(PubRel.of(4343));
    assertThat(pub.read(PubComp.class).packetId()).isEqualTo(4343);

    RawClient sub = connected(uniqueId("ackidsub"), true);
    subscribe(sub, 1, "ackid/q2", QoS.EXACTLY_ONCE);
    pub.send(Packets.publish("ackid/q2", "three", QoS.EXACTLY_ONCE, 4444));
    pub.read(PubRec.class);
    Msg m = receive(sub);
    sub.send(PubRec.of(m.packetId()));
    assertThat(sub.read(PubRel.class).packetId()).isEqualTo(m.packetId());
    sub.send(PubComp.of(m.packetId()));
    pub.send(PubRel.of(4444));
    pub.read(PubComp.class);
  }

  @Test
  void subAckAndUnsubAckCarryThePacketIdentifierOfTheRequest() throws IOException {
    // [MQTT-2.3.1-7] [MQTT-3.8.4-1] [MQTT-3.8.4-2] [MQTT-3.10.4-4]
    RawClient c = connected(uniqueId("subid"), true);
    c.send(Packets.subscribe(777, "subid/a", QoS.AT_LEAST_ONCE));
    c.send(Packets.subscribe(901, "subid/b", QoS.AT_MOST_ONCE));
    assertThat(c.read(SubAck.class).packetId()).isEqualTo(777);
    assertThat(c.read(SubAck.class).packetId()).isEqualTo(901);
    c.send(new Unsubscribe(65535, List.of("subid/a"), Properties.EMPTY));
    assertThat(c.read(UnsubAck.class).packetId()).isEqualTo(65535);
  }

  // ==== 3.1 CONNECT ==========================================================================

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "C0 00", // PINGREQ
        "30 04 00 01 74 78", // PUBLISH QoS 0 to "t"
        "82 06 00 01 00 01 74 00", // SUBSCRIBE "t"
        "E0 00", // DISCONNECT
      })
  void aFirstPacketOtherThanConnectClosesTheConnection(String packet) throws IOException {
    // [MQTT-3.1.0-1]
    RawClient c = open();
    c.send(hex(packet));
    assertClosedWithoutReply(c);
  }

  @Test
  void aSecondConnectClosesTheConnection() throws IOException {
    // [MQTT-3.1.0-2] [MQTT-4.8.0-1]
    String id = uniqueId("twice");
    RawClient c = connected(id, true);
    c.send(Packets.connect(id, true));
    assertClosedWithoutReply(c);
  }

  @Test
  void anUnknownProtocolNameClosesTheConnectionWithoutConnAck() throws IOException {
    // [MQTT-3.1.2-1] [MQTT-3.1.4-1] [MQTT-3.2.2-6]
    RawClient c = open();
    c.send(frame(0x10, utf8String("MQTX"), bytes(4, 0x02, 0, 60), utf8String(uniqueId("name"))));
    assertClosedWithoutReply(c);
  }

  @ParameterizedTest(name = "level {0}")
  @ValueSource(ints = {0, 1, 2, 3, 6, 255})
  void anUnsupportedProtocolLevelGetsReturnCode1AndIsClosed(int level) throws IOException {
    // [MQTT-3.1.2-2]
    RawClient c = open();
    c.send(frame(0x10, utf8String("MQTT"), bytes(level, 0x02, 0, 60), utf8String(uniqueId("lvl"))));
    ConnAck ack = c.read(ConnAck.class);
    assertThat(ack.reasonCode().v3ConnectReturnCode()).isEqualTo(1);
    assertThat(ack.sessionPresent()).isFalse();
    assertThat(c.isClosedWithin(CLOSE_WAIT)).isTrue();
  }

  @Test
  void theReservedConnectFlagClosesTheConnectionWithoutConnAck() throws IOException {
    // [MQTT-3.1.2-3] [MQTT-3.1.4-1] [MQTT-3.2.2-6]
    RawClient c = open();
    c.send(connectFrame(0x03, utf8String(uniqueId("reserved"))));
    assertClosedWithoutReply(c);
  }

  @Test
  void aWillFlagWithoutWillTopicAndMessageIsRefused() throws IOException {
    // [MQTT-3.1.2-9]: neither field, then the topic without the message.
    RawClient none = open();
    none.send(connectFrame(0x06, utf8String(uniqueId("will9"))));
    assertClosedWithoutReply(none);
    RawClient topicOnly = open();
    topicOnly.send(connectFrame(0x06, utf8String(uniqueId("will9")), utf8String("will9/t")));
    assertClosedWithoutReply(topicOnly);
  }

  @Test
  void willFieldsWithoutTheWillFlagAreRefused() throws IOException {
    // [MQTT-3.1.2-11]: will flag 0, yet a will topic and message in the payload.
    RawClient c = open();
    c.send(
        connectFrame(
            0x02, utf8String(uniqueId("will11")), utf8String("will11/t"), utf8String("msg")));
    assertClosedWithoutReply(c);
  }

  @ParameterizedTest(name = "flags {0}")
  @ValueSource(ints = {0x0A, 0x12})
  void aWillQosWithoutTheWillFlagIsRefused(int flags) throws IOException {
    // [MQTT-3.1.2-13]: will QoS 1, then 2, with will flag 0.
    RawClient c = open();
    c.send(connectFrame(flags, utf8String(uniqueId("will13"))));
    assertClosedWithoutReply(c);
  }

  @Test
  void willQos3IsRefused() throws IOException {
    // [MQTT-3.1.2-14]: will flag, will QoS bits 11.
    RawClient c = open();
    c.send(connectFrame(0x1E, utf8String(uniqueId("will14")), utf8String("will14/t"), rawString()));
    assertClosedWithoutReply(c);
  }

  @Test
  void aWillRetainWithoutTheWillFlagIsRefused() throws IOException {
    // [MQTT-3.1.2-15]
    RawClient c = open();
    c.send(connectFrame(0x22, utf8String(uniqueId("will15"))));
    assertClosedWithoutReply(c);
  }

  @Test
  void theWillIsRemovedOnceItHasBeenPublished() throws IOException {
    // [MQTT-3.1.2-10]: a persistent session's will is published once; the next connection of
    // the same session, without a will, ends without one.
    RawClient watcher = connected(uniqueId("will10w"), true);
    subscribe(watcher, 1, "will10/t", QoS.AT_MOST_ONCE);
    String id = uniqueId("will10");
    RawClient first = open();
    first.send(
        Packets.connect(
            MqttVersion.V3_1_1,
            id,
            false,
            60,
            Packets.will("will10/t", "gone", QoS.AT_MOST_ONCE, false)));
    first.read(ConnAck.class);
    first.close();
    assertThat(receive(watcher).payload()).isEqualTo("gone");

    RawClient second = open();
    second.send(Packets.connect(id, false));
    assertThat(second.read(ConnAck.class).sessionPresent()).isTrue();
    second.close();
    syncWithTheEndOf(id);
    publishMarker("will10/t");
    assertThat(receive(watcher).payload()).isEqualTo("marker");
  }

  @Test
  void noWillIsPublishedWhenTheWillFlagIs0() throws IOException {
    // [MQTT-3.1.2-12]: "#" would see any will, whatever its topic. It first gets the retained
    // messages other tests left, up to a start marker.
    RawClient watcher = connected(uniqueId("will12w"), true);
    subscribe(watcher, 1, "#", QoS.AT_MOST_ONCE);
    publishMarker("will12/start");
    while (!receive(watcher).topic().equals("will12/start")) {
      // a retained message
    }
    String id = uniqueId("will12");
    RawClient dying = connected(id, true);
    dying.close();
    syncWithTheEndOf(id);
    publishMarker("will12/marker");
    assertThat(receive(watcher).topic()).isEqualTo("will12/marker");
  }

  @Test
  void aWillWithRetain0IsPublishedAsANonRetainedMessage() throws IOException {
    // [MQTT-3.1.2-16]
    RawClient watcher = connected(uniqueId("will16w"), true);
    subscribe(watcher, 1, "will16/t", QoS.AT_LEAST_ONCE);
    RawClient dying = open();
    dying.send(
        Packets.connect(
            MqttVersion.V3_1_1,
            uniqueId("will16"),
            true,
            60,
            Packets.will("will16/t", "not kept", QoS.AT_LEAST_ONCE, false)));
    dying.read(ConnAck.class);
    dying.close();
    Msg will = receive(watcher);
    assertThat(will.payload()).isEqualTo("not kept");
    watcher.send(PubAck.of(will.packetId()));
    // A new subscription gets no retained copy: the marker comes first.
    RawClient late = connected(uniqueId("will16late"), true);
    subscribe(late, 1, "will16/t", QoS.AT_LEAST_ONCE);
    publishMarker("will16/t");
    assertThat(receive(late).seen())
        .isEqualTo(new Seen("will16/t", "marker", QoS.AT_MOST_ONCE, false));
  }

  @Test
  void userNameFlag0WithAUserNameInThePayloadIsRefused() throws IOException {
    // [MQTT-3.1.2-18]
    RawClient c = open();
    c.send(connectFrame(0x02, utf8String(uniqueId("user18")), utf8String("user")));
    assertClosedWithoutReply(c);
  }

  @Test
  void userNameFlag1WithoutAUserNameIsRefused() throws IOException {
    // [MQTT-3.1.2-19]
    RawClient c = open();
    c.send(connectFrame(0x82, utf8String(uniqueId("user19"))));
    assertClosedWithoutReply(c);
  }

  @Test
  void passwordFlag0WithAPasswordInThePayloadIsRefused() throws IOException {
    // [MQTT-3.1.2-20]
    RawClient c = open();
    c.send(connectFrame(0x82, utf8String(uniqueId("pw20")), utf8String("user"), utf8String("pw")));
    assertClosedWithoutReply(c);
  }

  @Test
  void passwordFlag1WithoutAPasswordIsRefused() throws IOException {
    // [MQTT-3.1.2-21]
    RawClient c = open();
    c.send(connectFrame(0xC2, utf8String(uniqueId("pw21")), utf8String("user")));
    assertClosedWithoutReply(c);
  }

  @Test
  void aPasswordWithoutAUserNameIsRefused() throws IOException {
    // [MQTT-3.1.2-22]
    RawClient c = open();
    c.send(connectFrame(0x42, utf8String(uniqueId("pw22")), utf8String("pw")));
    assertClosedWithoutReply(c);
  }

  @Test
  void everyPayloadFieldIsReadInTheSpecifiedOrder() throws IOException {
    // [MQTT-3.1.3-1]: client id, will topic, will message, user name, password; the will
    // published afterwards proves each field was read where it stands.
    RawClient watcher = connected(uniqueId("order31w"), true);
    subscribe(watcher, 1, "order31/will", QoS.AT_LEAST_ONCE);
    RawClient c = open();
    c.send(
        connectFrame(
            0xCE, // user name, password, will QoS 1, will, clean session
            utf8String(uniqueId("order31")),
            utf8String("order31/will"),
            rawString(ascii("last words")),
            utf8String("user"),
            rawString(ascii("secret"))));
    assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    c.close();
    Msg will = receive(watcher);
    assertThat(will.topic()).isEqualTo("order31/will");
    assertThat(will.payload()).isEqualTo("last words");
    assertThat(will.qos()).isEqualTo(QoS.AT_LEAST_ONCE);
    watcher.send(PubAck.of(will.packetId()));
  }

  @Test
  void theClientIdentifierMustBePresent() throws IOException {
    // [MQTT-3.1.3-3]: a CONNECT that ends after its variable header.
    RawClient c = open();
    c.send(connectFrame(0x02));
    assertClosedWithoutReply(c);
  }

  @Test
  void aClientIdentifierThatIsNotUtf8IsRefused() throws IOException {
    // [MQTT-3.1.3-4]: "c" and a lead byte with nothing after it.
    RawClient c = open();
    c.send(connectFrame(0x02, rawString(bytes('c', 0xC3))));
    assertClosedWithoutReply(c);
  }

  @Test
  void clientIdentifiersOf1To23AlphanumericCharactersAreAccepted() throws IOException {
    // [MQTT-3.1.3-5]
    for (String id :
        List.of(
            "a",
            "Z9",
            "0123456789abcdefghijklm",
            "nopqrstuvwxyzABCDEFGHIJ",
            "KLMNOPQRSTUVWXYZ0123456")) {
      assertThat(id).hasSizeBetween(1, 23).matches("[0-9a-zA-Z]+");
      RawClient c = open();
      c.send(Packets.connect(id, true));
      assertThat(c.read(ConnAck.class).reasonCode()).as(id).isEqualTo(ReasonCode.SUCCESS);
      c.send(Disconnect.NORMAL);
      assertThat(c.isClosedWithin(CLOSE_WAIT)).isTrue();
    }
  }

  @Test
  void anEmptyClientIdentifierWithCleanSessionGetsAUniqueOne() throws IOException {
    // [MQTT-3.1.3-6]: two such clients at once; had they the same identifier, the second
    // would have taken the first one's session over and closed it.
    RawClient a = connected("", true);
    RawClient b = connected("", true);
    subscribe(a, 1, "empty6/a", QoS.AT_MOST_ONCE);
    subscribe(b, 1, "empty6/b", QoS.AT_MOST_ONCE);
    publishMarker("empty6/a");
    publishMarker("empty6/b");
    assertThat(receive(a).topic()).isEqualTo("empty6/a");
    assertThat(receive(b).topic()).isEqualTo("empty6/b");
    assertPingAnswered(a);
    assertPingAnswered(b);
  }

  @Test
  void anEmptyClientIdentifierWithoutCleanSessionGetsReturnCode2() throws IOException {
    // [MQTT-3.1.3-8] [MQTT-3.2.2-4] [MQTT-3.2.2-5]
    RawClient c = open();
    c.send(Packets.connect("", false));
    ConnAck ack = c.read(ConnAck.class);
    assertThat(ack.reasonCode().v3ConnectReturnCode()).isEqualTo(2);
    assertThat(ack.sessionPresent()).isFalse();
    assertThat(c.isClosedWithin(CLOSE_WAIT)).isTrue();
  }

  @Test
  void aRejectedClientIdentifierGetsReturnCode2() throws IOException {
    // [MQTT-3.1.3-9]: Starling rejects MQTT 3.1 identifiers over 23 characters (3.1 allows 1
    // to 23), and empty ones without clean session (see the test above).
    RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V3_1);
    raws.add(c);
    c.send(Packets.connect(MqttVersion.V3_1, "x".repeat(24), true, 60, null));
    ConnAck ack = c.read(ConnAck.class);
    assertThat(ack.reasonCode().v3ConnectReturnCode()).isEqualTo(2);
    assertThat(ack.sessionPresent()).isFalse();
    assertThat(c.isClosedWithin(CLOSE_WAIT)).isTrue();
  }

  @Test
  void aWillTopicThatIsNotUtf8IsRefused() throws IOException {
    // [MQTT-3.1.3-10]
    RawClient c = open();
    c.send(
        connectFrame(
            0x06, utf8String(uniqueId("will310")), rawString(bytes('w', 0xFF)), rawString()));
    assertClosedWithoutReply(c);
  }

  @Test
  void aUserNameThatIsNotUtf8IsRefused() throws IOException {
    // [MQTT-3.1.3-11]: C0 80 is an overlong encoding of U+0000.
    RawClient c = open();
    c.send(connectFrame(0x82, utf8String(uniqueId("user311")), rawString(bytes(0xC0, 0x80))));
    assertClosedWithoutReply(c);
  }

  @Test
  void aValidConnectIsAcknowledgedWithReturnCode0() throws IOException {
    // [MQTT-3.1.4-4]
    RawClient c = open();
    c.send(Packets.connect(uniqueId("ok"), true));
    ConnAck ack = c.read(ConnAck.class);
    assertThat(ack.reasonCode().v3ConnectReturnCode()).isEqualTo(0);
    assertThat(ack.sessionPresent()).isFalse();
  }

  @Test
  void nothingSentAfterARejectedConnectIsProcessed() throws IOException {
    // [MQTT-3.1.4-5]: the refused CONNECT and a PUBLISH behind it arrive in one segment.
    RawClient watcher = connected(uniqueId("rej5w"), true);
    subscribe(watcher, 1, "rej5/t", QoS.AT_MOST_ONCE);
    RawClient c = open();
    c.send(
        concat(
            wire(Packets.connect("", false)),
            wire(Packets.publish("rej5/t", "must not be routed", QoS.AT_MOST_ONCE, 0))));
    assertThat(c.read(ConnAck.class).reasonCode().v3ConnectReturnCode()).isEqualTo(2);
    assertThat(c.isClosedWithin(CLOSE_WAIT)).isTrue();
    publishMarker("rej5/t");
    assertThat(receive(watcher).payload()).isEqualTo("marker");
  }

  // ==== 3.2 CONNACK ==========================================================================

  @Test
  void connAckIsTheFirstPacketTheServerSends() throws IOException {
    // [MQTT-3.2.0-1]: even when queued messages wait for the session.
    String id = uniqueId("first");
    RawClient sub = connected(id, false);
    subscribe(sub, 1, "first/t", QoS.AT_LEAST_ONCE);
    sub.send(Disconnect.NORMAL);
    assertThat(sub.isClosedWithin(CLOSE_WAIT)).isTrue();
    RawClient pub = connected(uniqueId("firstpub"), true);
    for (int i = 1; i <= 5; i++) {
      pub.send(Packets.publish("first/t", "q" + i, QoS.AT_LEAST_ONCE, i));
      pub.read(PubAck.class);
    }
    RawClient again = open();
    again.send(Packets.connect(id, false));
    MqttPacket firstPacket = again.read();
    assertThat(firstPacket).isInstanceOf(ConnAck.class);
    assertThat(((ConnAck) firstPacket).sessionPresent()).isTrue();
    for (int i = 1; i <= 5; i++) {
      Msg m = receive(again);
      assertThat(m.payload()).isEqualTo("q" + i);
      again.send(PubAck.of(m.packetId()));
    }
  }

  // ==== 3.3 PUBLISH ==========================================================================

  @Test
  void theDupFlagOfAnIncomingPublishIsNotPropagated() throws IOException {
    // [MQTT-3.3.1-3]: both messages arrive with DUP set, for the first time.
    RawClient sub = connected(uniqueId("dup3"), true);
    subscribe(sub, 1, "dup3/t", QoS.EXACTLY_ONCE);
    RawClient pub = connected(uniqueId("dup3pub"), true);
    pub.send(dupPublish("dup3/t", "one", QoS.AT_LEAST_ONCE, 31));
    pub.read(PubAck.class);
    Msg one = receive(sub);
    assertThat(one.payload()).isEqualTo("one");
    assertThat(one.dup()).isFalse();
    sub.send(PubAck.of(one.packetId()));
    pub.send(dupPublish("dup3/t", "two", QoS.EXACTLY_ONCE, 32));
    pub.read(PubRec.class);
    Msg two = receive(sub);
    assertThat(two.payload()).isEqualTo("two");
    assertThat(two.dup()).isFalse();
    completeQos2(sub, two.packetId());
    pub.send(PubRel.of(32));
    pub.read(PubComp.class);
  }

  @Test
  void qos0MessagesAreSentWithDup0AndNoPacketIdentifier() throws IOException {
    // [MQTT-3.3.1-2] [MQTT-4.3.1-1] [MQTT-2.3.1-5]: had the broker written DUP at QoS 0 the
    // client's decoder would refuse the packet; had it written a packet identifier, its two bytes
    // would show at the start of the payload.
    RawClient sub = connected(uniqueId("qos0"), true);
    subscribe(sub, 1, "qos0/t", QoS.AT_MOST_ONCE);
    RawClient pub = connected(uniqueId("qos0pub"), true);
    pub.send(Packets.publish("qos0/t", "from qos 0", QoS.AT_MOST_ONCE, 0));
    pub.send(Packets.publish("qos0/t", "from qos 2", QoS.EXACTLY_ONCE, 5));
    pub.read(PubRec.class);
    pub.send(PubRel.of(5));
    pub.read(PubComp.class);
    for (String payload : List.of("from qos 0", "from qos 2")) {
      Msg m = receive(sub);
      assertThat(m.seen()).isEqualTo(new Seen("qos0/t", payload, QoS.AT_MOST_ONCE, false));
      assertThat(m.dup()).isFalse();
      assertThat(m.packetId()).isZero();
    }
  }

  @Test
  void aQos0PublishWithDupSetClosesTheConnection() throws IOException {
    // [MQTT-3.3.1-2], enforced on what clients send.
    RawClient c = connected(uniqueId("qos0dup"), true);
    c.send(frame(0x38, utf8String("t"), ascii("x")));
    assertClosedWithoutReply(c);
  }

  @Test
  void aPublishWithQos3ClosesTheConnection() throws IOException {
    // [MQTT-3.3.1-4]
    RawClient c = connected(uniqueId("qos3"), true);
    c.send(frame(0x36, utf8String("t"), u16(1), ascii("x")));
    assertClosedWithoutReply(c);
  }

  @Test
  void aRetainedQos0MessageReplacesTheRetainedMessage() throws IOException {
    // [MQTT-3.3.1-7]
    RawClient pub = connected(uniqueId("ret7pub"), true);
    pub.send(retainedPublish("ret7/t", "qos 1", QoS.AT_LEAST_ONCE, 1));
    pub.read(PubAck.class);
    pub.send(retainedPublish("ret7/t", "qos 0", QoS.AT_MOST_ONCE, 0));
    pub.send(Packets.publish("ret7/other", "sync", QoS.AT_LEAST_ONCE, 2));
    pub.read(PubAck.class); // the QoS 0 message before it has been handled
    RawClient sub = connected(uniqueId("ret7"), true);
    subscribe(sub, 1, "ret7/t", QoS.EXACTLY_ONCE);
    assertThat(receive(sub).seen()).isEqualTo(new Seen("ret7/t", "qos 0", QoS.AT_MOST_ONCE, true));
    publishMarker("ret7/t");
    assertThat(receive(sub).payload()).isEqualTo("marker");
  }

  @Test
  void aNonRetainedPublishLeavesTheRetainedMessageAlone() throws IOException {
    // [MQTT-3.3.1-12]
    RawClient pub = connected(uniqueId("ret12pub"), true);
    pub.send(retainedPublish("ret12/t", "kept", QoS.AT_LEAST_ONCE, 1));
    pub.read(PubAck.class);
    pub.send(Packets.publish("ret12/t", "passing by", QoS.AT_LEAST_ONCE, 2));
    pub.read(PubAck.class);
    pub.send(Packets.publish("ret12/t", "", QoS.AT_LEAST_ONCE, 3)); // empty, not retained
    pub.read(PubAck.class);
    RawClient sub = connected(uniqueId("ret12"), true);
    subscribe(sub, 1, "ret12/t", QoS.AT_LEAST_ONCE);
    Msg m = receive(sub);
    assertThat(m.seen()).isEqualTo(new Seen("ret12/t", "kept", QoS.AT_LEAST_ONCE, true));
    sub.send(PubAck.of(m.packetId()));
  }

  @Test
  void retainedMessagesOutliveTheSessionThatPublishedThem() throws IOException {
    // [MQTT-3.1.2-7]
    String id = uniqueId("ret27");
    RawClient pub = connected(id, true);
    pub.send(retainedPublish("ret27/t", "still here", QoS.AT_LEAST_ONCE, 1));
    pub.read(PubAck.class);
    pub.send(Disconnect.NORMAL);
    assertThat(pub.isClosedWithin(CLOSE_WAIT)).isTrue();
    syncWithTheEndOf(id); // the clean session has ended
    RawClient sub = connected(uniqueId("ret27sub"), true);
    subscribe(sub, 1, "ret27/t", QoS.AT_LEAST_ONCE);
    Msg m = receive(sub);
    assertThat(m.seen()).isEqualTo(new Seen("ret27/t", "still here", QoS.AT_LEAST_ONCE, true));
    sub.send(PubAck.of(m.packetId()));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"a/+", "a/#", "+", "#", "a+b", "sport/#/x"})
  void aTopicNameWithAWildcardClosesTheConnection(String topic) throws IOException {
    // [MQTT-3.3.2-2] [MQTT-4.7.1-1]
    RawClient c = connected(uniqueId("wild"), true);
    c.send(frame(0x30, utf8String(topic), ascii("x")));
    assertClosedWithoutReply(c);
  }

  @Test
  void eachQosGetsTheResponseTheSpecificationNames() throws IOException {
    // [MQTT-3.3.4-1]: QoS 0 none, QoS 1 PUBACK, QoS 2 PUBREC.
    RawClient c = connected(uniqueId("resp"), true);
    c.send(Packets.publish("resp/t", "zero", QoS.AT_MOST_ONCE, 0));
    c.send(PingReq.INSTANCE);
    assertThat(c.read()).isInstanceOf(PingResp.class);
    c.send(Packets.publish("resp/t", "one", QoS.AT_LEAST_ONCE, 11));
    assertThat(c.read(PubAck.class).packetId()).isEqualTo(11);
    c.send(Packets.publish("resp/t", "two", QoS.EXACTLY_ONCE, 12));
    assertThat(c.read(PubRec.class).packetId()).isEqualTo(12);
    c.send(PubRel.of(12));
    assertThat(c.read(PubComp.class).packetId()).isEqualTo(12);
  }

  // ==== 3.6 PUBREL, 3.8 SUBSCRIBE, 3.10 UNSUBSCRIBE, 3.12 PINGREQ, 3.14 DISCONNECT ==========

  @ParameterizedTest(name = "first byte {0}")
  @ValueSource(strings = {"60", "63", "6A"})
  void aPubRelWithReservedBitsOtherThan0010ClosesTheConnection(String firstByte)
      throws IOException {
    // [MQTT-3.6.1-1]: after a QoS 2 PUBLISH whose PUBREL is awaited.
    RawClient c = connected(uniqueId("pubrel"), true);
    c.send(Packets.publish("pubrel/t", "x", QoS.EXACTLY_ONCE, 9));
    c.read(PubRec.class);
    c.send(concat(hex(firstByte), hex("02 00 09")));
    assertClosedWithoutReply(c);
  }

  @ParameterizedTest(name = "first byte {0}")
  @ValueSource(strings = {"80", "83", "8A"})
  void aSubscribeWithReservedBitsOtherThan0010ClosesTheConnection(String firstByte)
      throws IOException {
    // [MQTT-3.8.1-1]
    RawClient c = connected(uniqueId("subflags"), true);
    c.send(concat(hex(firstByte), hex("06 00 01 00 01 74 00")));
    assertClosedWithoutReply(c);
  }

  @Test
  void aTopicFilterThatIsNotUtf8ClosesTheConnection() throws IOException {
    // [MQTT-3.8.3-1]: ED BF BF encodes the surrogate U+DFFF.
    RawClient c = connected(uniqueId("filterutf8"), true);
    c.send(frame(0x82, u16(1), rawString(bytes('a', 0xED, 0xBF, 0xBF)), bytes(0)));
    assertClosedWithoutReply(c);
  }

  @Test
  void aSubscribeWithoutTopicFiltersClosesTheConnection() throws IOException {
    // [MQTT-3.8.3-3]
    RawClient c = connected(uniqueId("subempty"), true);
    c.send(frame(0x82, u16(1)));
    assertClosedWithoutReply(c);
  }

  @ParameterizedTest(name = "options {0}")
  @ValueSource(ints = {0x03, 0x04, 0x40, 0x80, 0xFD})
  void reservedBitsOrQos3InASubscribeCloseTheConnection(int options) throws IOException {
    // [MQTT-3.8.3-4]
    RawClient c = connected(uniqueId("subopts"), true);
    c.send(frame(0x82, u16(1), utf8String("t"), bytes(options)));
    assertClosedWithoutReply(c);
  }

  @Test
  void subscribingAgainReplacesTheSubscriptionAndResendsRetainedMessages() throws IOException {
    // [MQTT-3.8.4-3]
    RawClient pub = connected(uniqueId("resubpub"), true);
    pub.send(retainedPublish("resub/t", "retained", QoS.AT_LEAST_ONCE, 1));
    pub.read(PubAck.class);
    RawClient sub = connected(uniqueId("resub"), true);
    subscribe(sub, 1, "resub/t", QoS.AT_LEAST_ONCE);
    Msg first = receive(sub);
    assertThat(first.seen()).isEqualTo(new Seen("resub/t", "retained", QoS.AT_LEAST_ONCE, true));
    sub.send(PubAck.of(first.packetId()));
    // Same filter, lower QoS: granted 0, the retained message again, then live messages at 0.
    sub.send(Packets.subscribe(2, "resub/t", QoS.AT_MOST_ONCE));
    assertThat(sub.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.SUCCESS);
    assertThat(receive(sub).seen())
        .isEqualTo(new Seen("resub/t", "retained", QoS.AT_MOST_ONCE, true));
    pub.send(Packets.publish("resub/t", "live", QoS.AT_LEAST_ONCE, 2));
    pub.read(PubAck.class);
    assertThat(receive(sub).seen()).isEqualTo(new Seen("resub/t", "live", QoS.AT_MOST_ONCE, false));
    publishMarker("resub/t");
    assertThat(receive(sub).payload()).isEqualTo("marker"); // "live" came once
  }

  @Test
  void aSubscribeWithSeveralFiltersIsHandledAsASequenceWithOneSubAck() throws IOException {
    // [MQTT-3.8.4-4] [MQTT-3.8.4-5] [MQTT-3.9.3-1] [MQTT-3.9.3-2]: one return code per filter,
    // in order, each the granted QoS or 0x80; the third filter is over the broker's 128 levels.
    String tooDeep = "seq/".repeat(128) + "x";
    RawClient c = connected(uniqueId("seq"), true);
    c.send(
        new Subscribe(
            42,
            List.of(
                Subscription.of("seq/two", QoS.EXACTLY_ONCE),
                Subscription.of("seq/zero", QoS.AT_MOST_ONCE),
                Subscription.of(tooDeep, QoS.AT_LEAST_ONCE),
                Subscription.of("seq/one", QoS.AT_LEAST_ONCE)),
            Properties.EMPTY));
    SubAck ack = c.read(SubAck.class);
    assertThat(ack.packetId()).isEqualTo(42);
    assertThat(ack.reasonCodes())
        .containsExactly(
            ReasonCode.GRANTED_QOS_2,
            ReasonCode.SUCCESS,
            ReasonCode.UNSPECIFIED_ERROR,
            ReasonCode.GRANTED_QOS_1);
    assertThat(ack.reasonCodes()).allMatch(r -> Set.of(0x00, 0x01, 0x02, 0x80).contains(r.value()));
    assertPingAnswered(c); // no second SUBACK
    // Each accepted filter works at its own granted QoS.
    RawClient pub = connected(uniqueId("seqpub"), true);
    Map<String, QoS> expected = new HashMap<>();
    expected.put("seq/two", QoS.EXACTLY_ONCE);
    expected.put("seq/zero", QoS.AT_MOST_ONCE);
    expected.put("seq/one", QoS.AT_LEAST_ONCE);
    int packetId = 1;
    for (Map.Entry<String, QoS> e : expected.entrySet()) {
      pub.send(Packets.publish(e.getKey(), "x", QoS.AT_LEAST_ONCE, packetId++));
      pub.read(PubAck.class);
      Msg m = receive(c);
      assertThat(m.topic()).isEqualTo(e.getKey());
      assertThat(m.qos()).isEqualTo(QoS.min(QoS.AT_LEAST_ONCE, e.getValue()));
      if (m.qos() == QoS.AT_LEAST_ONCE) {
        c.send(PubAck.of(m.packetId()));
      }
    }
  }

  @ParameterizedTest(name = "first byte {0}")
  @ValueSource(strings = {"A0", "A3", "AA"})
  void anUnsubscribeWithReservedBitsOtherThan0010ClosesTheConnection(String firstByte)
      throws IOException {
    // [MQTT-3.10.1-1]
    RawClient c = connected(uniqueId("unsubflags"), true);
    c.send(concat(hex(firstByte), hex("05 00 01 00 01 74")));
    assertClosedWithoutReply(c);
  }

  @Test
  void anUnsubscribeFilterThatIsNotUtf8ClosesTheConnection() throws IOException {
    // [MQTT-3.10.3-1]
    RawClient c = connected(uniqueId("unsubutf8"), true);
    c.send(frame(0xA2, u16(1), rawString(bytes('a', 0xF8, 0x88, 0x80, 0x80, 0x80))));
    assertClosedWithoutReply(c);
  }

  @Test
  void anUnsubscribeWithoutTopicFiltersClosesTheConnection() throws IOException {
    // [MQTT-3.10.3-2]
    RawClient c = connected(uniqueId("unsubempty"), true);
    c.send(frame(0xA2, u16(1)));
    assertClosedWithoutReply(c);
  }

  @Test
  void unsubscribeComparesFiltersCharacterByCharacter() throws IOException {
    // [MQTT-3.10.4-1]: "u1/a" and "U1/+" match no filter held; "u1/+" does.
    RawClient sub = connected(uniqueId("u1"), true);
    subscribe(sub, 1, "u1/+", QoS.AT_MOST_ONCE);
    subscribe(sub, 2, "u1end", QoS.AT_MOST_ONCE);
    unsubscribe(sub, 3, "u1/a", "U1/+", "u1/#");
    publishMarker("u1/a");
    assertThat(receive(sub).topic()).isEqualTo("u1/a");
    unsubscribe(sub, 4, "u1/+");
    publishMarker("u1/a");
    publishMarker("u1end");
    assertThat(receive(sub).topic()).isEqualTo("u1end");
  }

  @Test
  void unsubscribingCompletesTheDeliveryOfMessagesInFlight() throws IOException {
    // [MQTT-3.10.4-3]: a QoS 2 flow goes on to PUBREL, and an unacknowledged QoS 1 message is
    // still resent when the session resumes.
    String id = uniqueId("u3");
    RawClient sub = connected(id, false);
    subscribe(sub, 1, "u3/one", QoS.AT_LEAST_ONCE);
    subscribe(sub, 2, "u3/two", QoS.EXACTLY_ONCE);
    RawClient pub = connected(uniqueId("u3pub"), true);
    pub.send(Packets.publish("u3/one", "one", QoS.AT_LEAST_ONCE, 1));
    pub.read(PubAck.class);
    pub.send(Packets.publish("u3/two", "two", QoS.EXACTLY_ONCE, 2));
    pub.read(PubRec.class);
    pub.send(PubRel.of(2));
    pub.read(PubComp.class);
    Msg one = receive(sub);
    Msg two = receive(sub);
    assertThat(List.of(one.payload(), two.payload())).containsExactly("one", "two");
    unsubscribe(sub, 3, "u3/one", "u3/two");
    completeQos2(sub, two.packetId());
    assertPingAnswered(sub); // the PUBCOMP has been read
    sub.close(); // "one" still unacknowledged

    RawClient again = open();
    again.send(Packets.connect(id, false));
    again.read(ConnAck.class);
    Msg resent = receive(again);
    assertThat(resent.payload()).isEqualTo("one");
    assertThat(resent.packetId()).isEqualTo(one.packetId());
    assertThat(resent.dup()).isTrue();
    again.send(PubAck.of(resent.packetId()));
    assertPingAnswered(again);
  }

  @Test
  void unsubAckIsSentEvenWhenNoSubscriptionWasDeleted() throws IOException {
    // [MQTT-3.10.4-5]
    RawClient c = connected(uniqueId("u5"), true);
    c.send(new Unsubscribe(55, List.of("u5/never/subscribed"), Properties.EMPTY));
    assertThat(c.read(UnsubAck.class).packetId()).isEqualTo(55);
  }

  @Test
  void anUnsubscribeWithSeveralFiltersIsHandledAsASequenceWithOneUnsubAck() throws IOException {
    // [MQTT-3.10.4-6]
    RawClient sub = connected(uniqueId("u6"), true);
    sub.send(
        new Subscribe(
            1,
            List.of(
                Subscription.of("u6/a", QoS.AT_MOST_ONCE),
                Subscription.of("u6/b", QoS.AT_MOST_ONCE),
                Subscription.of("u6/c", QoS.AT_MOST_ONCE)),
            Properties.EMPTY));
    sub.read(SubAck.class);
    sub.send(new Unsubscribe(2, List.of("u6/a", "u6/c", "u6/none"), Properties.EMPTY));
    assertThat(sub.read(UnsubAck.class).packetId()).isEqualTo(2);
    assertPingAnswered(sub); // no second UNSUBACK
    publishMarker("u6/a");
    publishMarker("u6/c");
    publishMarker("u6/b");
    assertThat(receive(sub).topic()).isEqualTo("u6/b");
  }

  @Test
  void pingReqGetsPingResp() throws IOException {
    // [MQTT-3.12.4-1]
    RawClient c = connected(uniqueId("ping"), true);
    for (int i = 0; i < 3; i++) {
      c.send(PingReq.INSTANCE);
      assertThat(c.read()).isInstanceOf(PingResp.class);
    }
  }

  @ParameterizedTest(name = "first byte {0}")
  @ValueSource(strings = {"E1", "E2", "E4", "E8"})
  void aDisconnectWithReservedBitsClosesTheConnectionAndTheWillIsPublished(String firstByte)
      throws IOException {
    // [MQTT-3.14.1-1]: not a valid DISCONNECT, so the will is not discarded.
    RawClient watcher = connected(uniqueId("disc141w"), true);
    subscribe(watcher, 1, "disc141/will", QoS.AT_MOST_ONCE);
    RawClient c = open();
    c.send(
        Packets.connect(
            MqttVersion.V3_1_1,
            uniqueId("disc141"),
            true,
            60,
            Packets.will("disc141/will", "bad disconnect", QoS.AT_MOST_ONCE, false)));
    c.read(ConnAck.class);
    c.send(concat(hex(firstByte), hex("00")));
    assertClosedWithoutReply(c);
    assertThat(receive(watcher).payload()).isEqualTo("bad disconnect");
  }

  // ==== 4.3 QoS flows, 4.6 ordering ==========================================================

  @Test
  void aQos1PublishReusingAnAcknowledgedIdentifierIsANewMessage() throws IOException {
    // [MQTT-4.3.2-2]: the second one even has DUP set.
    RawClient sub = connected(uniqueId("q1new"), true);
    subscribe(sub, 1, "q1new/t", QoS.AT_MOST_ONCE);
    RawClient pub = connected(uniqueId("q1newpub"), true);
    pub.send(Packets.publish("q1new/t", "first", QoS.AT_LEAST_ONCE, 21));
    assertThat(pub.read(PubAck.class).packetId()).isEqualTo(21);
    pub.send(dupPublish("q1new/t", "second", QoS.AT_LEAST_ONCE, 21));
    assertThat(pub.read(PubAck.class).packetId()).isEqualTo(21);
    assertThat(receive(sub).payload()).isEqualTo("first");
    assertThat(receive(sub).payload()).isEqualTo("second");
  }

  @Test
  void aQos2PublishReusingACompletedIdentifierIsANewMessage() throws IOException {
    // [MQTT-4.3.3-2]: after PUBCOMP the identifier starts a new publication, DUP or not.
    RawClient sub = connected(uniqueId("q2new"), true);
    subscribe(sub, 1, "q2new/t", QoS.AT_MOST_ONCE);
    RawClient pub = connected(uniqueId("q2newpub"), true);
    pub.send(Packets.publish("q2new/t", "first", QoS.EXACTLY_ONCE, 22));
    assertThat(pub.read(PubRec.class).packetId()).isEqualTo(22);
    pub.send(PubRel.of(22));
    assertThat(pub.read(PubComp.class).packetId()).isEqualTo(22);
    pub.send(dupPublish("q2new/t", "second", QoS.EXACTLY_ONCE, 22));
    assertThat(pub.read(PubRec.class).packetId()).isEqualTo(22);
    pub.send(PubRel.of(22));
    assertThat(pub.read(PubComp.class).packetId()).isEqualTo(22);
    assertThat(receive(sub).payload()).isEqualTo("first");
    assertThat(receive(sub).payload()).isEqualTo("second");
  }

  @Test
  void pubAcksAreSentInTheOrderOfThePublishes() throws IOException {
    // [MQTT-4.6.0-2]: twenty QoS 1 messages in one write.
    RawClient c = connected(uniqueId("ackorder"), true);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (int i = 0; i < 20; i++) {
      all.writeBytes(wire(Packets.publish("ackorder/t", "m" + i, QoS.AT_LEAST_ONCE, 100 + i)));
    }
    c.send(all.toByteArray());
    for (int i = 0; i < 20; i++) {
      assertThat(c.read(PubAck.class).packetId()).isEqualTo(100 + i);
    }
  }

  @Test
  void pubRecsAreSentInTheOrderOfThePublishes() throws IOException {
    // [MQTT-4.6.0-3]
    RawClient c = connected(uniqueId("recorder"), true);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (int i = 0; i < 20; i++) {
      all.writeBytes(wire(Packets.publish("recorder/t", "m" + i, QoS.EXACTLY_ONCE, 200 + i)));
    }
    c.send(all.toByteArray());
    for (int i = 0; i < 20; i++) {
      assertThat(c.read(PubRec.class).packetId()).isEqualTo(200 + i);
    }
    for (int i = 0; i < 20; i++) {
      c.send(PubRel.of(200 + i));
      assertThat(c.read(PubComp.class).packetId()).isEqualTo(200 + i);
    }
  }

  @Test
  void pubRelsAreSentInTheOrderOfThePubRecs() throws IOException {
    // [MQTT-4.6.0-4]: PUBRECs sent out of publish order, PUBRELs follow the PUBRECs.
    RawClient sub = connected(uniqueId("relorder"), true);
    subscribe(sub, 1, "relorder/t", QoS.EXACTLY_ONCE);
    RawClient pub = connected(uniqueId("relorderpub"), true);
    for (int i = 1; i <= 5; i++) {
      publishQos2(pub, "relorder/t", "m" + i, i);
    }
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(receive(sub).packetId());
    }
    List<Integer> recOrder = List.of(ids.get(3), ids.get(0), ids.get(4), ids.get(1), ids.get(2));
    ByteArrayOutputStream recs = new ByteArrayOutputStream();
    for (int id : recOrder) {
      recs.writeBytes(wire(PubRec.of(id)));
    }
    sub.send(recs.toByteArray());
    for (int id : recOrder) {
      assertThat(sub.read(PubRel.class).packetId()).isEqualTo(id);
    }
    for (int id : recOrder) {
      sub.send(PubComp.of(id));
    }
    assertPingAnswered(sub);
  }

  @Test
  void messagesFromOneClientAreDeliveredInOrderAtEachQos() throws IOException {
    // [MQTT-4.6.0-6]: QoS 0 and QoS 2 messages interleaved on two topics.
    RawClient sub = connected(uniqueId("ord"), true);
    subscribe(sub, 1, "ord/0", QoS.AT_MOST_ONCE);
    subscribe(sub, 2, "ord/2", QoS.EXACTLY_ONCE);
    RawClient pub = connected(uniqueId("ordpub"), true);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (int i = 0; i < 50; i++) {
      all.writeBytes(wire(Packets.publish("ord/0", Integer.toString(i), QoS.AT_MOST_ONCE, 0)));
      all.writeBytes(wire(Packets.publish("ord/2", Integer.toString(i), QoS.EXACTLY_ONCE, i + 1)));
    }
    pub.send(all.toByteArray());
    Map<String, List<String>> got = new HashMap<>();
    int received = 0;
    while (received < 100) {
      MqttPacket p = sub.read();
      if (p instanceof Publish publish) {
        Msg m = Msg.from(publish);
        got.computeIfAbsent(m.topic(), t -> new ArrayList<>()).add(m.payload());
        if (m.qos() == QoS.EXACTLY_ONCE) {
          sub.send(PubRec.of(m.packetId()));
        }
        received++;
      } else if (p instanceof PubRel rel) {
        sub.send(PubComp.of(rel.packetId()));
      }
    }
    List<String> inOrder = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      inOrder.add(Integer.toString(i));
    }
    assertThat(got.get("ord/0")).containsExactlyElementsOf(inOrder);
    assertThat(got.get("ord/2")).containsExactlyElementsOf(inOrder);
  }

  // ==== 4.7 topic names and filters ==========================================================

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"a/#/b", "a#", "#/a", "a/b#", "##"})
  void aMisplacedMultiLevelWildcardClosesTheConnection(String filter) throws IOException {
    // [MQTT-4.7.1-2]
    RawClient c = connected(uniqueId("hash"), true);
    c.send(frame(0x82, u16(1), utf8String(filter), bytes(0)));
    assertClosedWithoutReply(c);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"a+", "+a/b", "a/+b", "a/b+", "++"})
  void aSingleLevelWildcardNotFillingItsLevelClosesTheConnection(String filter) throws IOException {
    // [MQTT-4.7.1-3]
    RawClient c = connected(uniqueId("plus"), true);
    c.send(frame(0x82, u16(1), utf8String(filter), bytes(0)));
    assertClosedWithoutReply(c);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "30 03 00 00 78", // PUBLISH QoS 0 to "", payload "x"
        "82 05 00 01 00 00 00", // SUBSCRIBE to ""
        "A2 04 00 01 00 00", // UNSUBSCRIBE from ""
      })
  void anEmptyTopicNameOrFilterClosesTheConnection(String packet) throws IOException {
    // [MQTT-4.7.3-1]
    RawClient c = connected(uniqueId("empty"), true);
    c.send(hex(packet));
    assertClosedWithoutReply(c);
  }

  @Test
  void aTopicNameOf65535BytesIsDeliveredIntactAndNoLongerOneCanBeWritten() throws IOException {
    // [MQTT-4.7.3-3]
    String longest = "l".repeat(65_535);
    RawClient sub = connected(uniqueId("long"), true);
    subscribe(sub, 1, longest, QoS.AT_MOST_ONCE);
    RawClient pub = connected(uniqueId("longpub"), true);
    pub.send(Packets.publish(longest, "long", QoS.AT_MOST_ONCE, 0));
    Msg m = receive(sub);
    assertThat(m.topic()).isEqualTo(longest);
    assertThat(m.payload()).isEqualTo("long");
    Publish tooLong = Packets.publish(longest + "l", "x", QoS.AT_MOST_ONCE, 0);
    assertThatThrownBy(
            () ->
                PacketEncoder.encode(tooLong, MqttVersion.V3_1_1, UnpooledByteBufAllocator.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void topicMatchingDoesNoNormalization() throws IOException {
    // [MQTT-4.7.3-4]: NFC "é" vs NFD "e" + U+0301, and letter case.
    String nfc = "caf\u00e9/t";
    String nfd = "cafe\u0301/t";
    RawClient sub = connected(uniqueId("norm"), true);
    subscribe(sub, 1, nfc, QoS.AT_MOST_ONCE);
    subscribe(sub, 2, "case/Aa", QoS.AT_MOST_ONCE);
    RawClient pub = connected(uniqueId("normpub"), true);
    pub.send(Packets.publish(nfd, "nfd", QoS.AT_MOST_ONCE, 0));
    pub.send(Packets.publish("CASE/AA", "upper", QoS.AT_MOST_ONCE, 0));
    pub.send(Packets.publish("case/aa", "lower", QoS.AT_MOST_ONCE, 0));
    pub.send(Packets.publish(nfc, "nfc", QoS.AT_MOST_ONCE, 0));
    pub.send(Packets.publish("case/Aa", "exact", QoS.AT_MOST_ONCE, 0));
    assertThat(receive(sub).seen()).isEqualTo(new Seen(nfc, "nfc", QoS.AT_MOST_ONCE, false));
    assertThat(receive(sub).seen())
        .isEqualTo(new Seen("case/Aa", "exact", QoS.AT_MOST_ONCE, false));
  }

  // ==== 4.8 handling errors ==================================================================

  @Test
  void aFailureWhileHandlingAnInboundPacketClosesTheConnection() {
    // [MQTT-4.8.0-2]: the session layer fails while handling CONNECT, as a store that cannot
    // be reached would; the connection is closed and nothing is answered. (The broker logs this
    // at ERROR, with the stack trace, as it should for a fault of its own.)
    EmbeddedChannel channel = new EmbeddedChannel(new MqttConnection(new FailingBroker()));
    channel.writeInbound(Packets.connect(uniqueId("transient"), true));
    assertThat(channel.isOpen()).isFalse();
    Object reply = channel.readOutbound();
    assertThat(reply).isNull();
    channel.finishAndReleaseAll();
  }

  /** A broker whose session layer always fails. */
  private static final class FailingBroker implements BrokerContext {
    private final BrokerStats stats = new BrokerStats();
    private final Router router = new Router();

    @Override
    public BrokerConfig config() {
      return BrokerConfig.defaults();
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
      return new Subscriptions(router, stats, 128, QoS.EXACTLY_ONCE);
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
      throw new IllegalStateException("session store unavailable");
    }
  }

  // ==== helpers ==============================================================================

  /** A received PUBLISH, payload as text. */
  record Msg(String topic, String payload, QoS qos, boolean retained, boolean dup, int packetId) {
    static Msg from(Publish p) {
      try {
        return new Msg(p.topic(), Packets.text(p), p.qos(), p.retained(), p.dup(), p.packetId());
      } finally {
        p.release();
      }
    }

    /** What a subscriber sees of the message, without DUP and the packet identifier. */
    Seen seen() {
      return new Seen(topic, payload, qos, retained);
    }
  }

  record Seen(String topic, String payload, QoS qos, boolean retained) {}

  private RawClient open() throws IOException {
    RawClient c = RawClient.connect(port);
    raws.add(c);
    return c;
  }

  private RawClient connected(String clientId, boolean cleanSession) throws IOException {
    RawClient c = open();
    c.send(Packets.connect(clientId, cleanSession));
    assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    return c;
  }

  private static void subscribe(RawClient c, int packetId, String filter, QoS qos)
      throws IOException {
    c.send(Packets.subscribe(packetId, filter, qos));
    SubAck ack = c.read(SubAck.class);
    assertThat(ack.packetId()).isEqualTo(packetId);
    assertThat(ack.reasonCodes()).hasSize(1);
    assertThat(ack.reasonCodes().get(0).value()).isEqualTo(qos.value());
  }

  private static void unsubscribe(RawClient c, int packetId, String... filters) throws IOException {
    c.send(new Unsubscribe(packetId, List.of(filters), Properties.EMPTY));
    assertThat(c.read(UnsubAck.class).packetId()).isEqualTo(packetId);
  }

  private static Msg receive(RawClient c) throws IOException {
    return Msg.from(c.read(Publish.class));
  }

  /** Publishes at QoS 2 and goes through PUBREC, PUBREL and PUBCOMP. */
  private static void publishQos2(RawClient pub, String topic, String payload, int packetId)
      throws IOException {
    pub.send(Packets.publish(topic, payload, QoS.EXACTLY_ONCE, packetId));
    assertThat(pub.read(PubRec.class).packetId()).isEqualTo(packetId);
    pub.send(PubRel.of(packetId));
    assertThat(pub.read(PubComp.class).packetId()).isEqualTo(packetId);
  }

  /** Answers PUBREC to a QoS 2 delivery and finishes it. */
  private static void completeQos2(RawClient c, int packetId) throws IOException {
    c.send(PubRec.of(packetId));
    assertThat(c.read(PubRel.class).packetId()).isEqualTo(packetId);
    c.send(PubComp.of(packetId));
  }

  /**
   * Publishes "marker" at QoS 0 from a new client and waits until the broker has routed it (it
   * answers the PINGREQ that follows only after handling the PUBLISH before it).
   */
  private void publishMarker(String topic) throws IOException {
    RawClient pub = connected(uniqueId("marker"), true);
    pub.send(Packets.publish(topic, "marker", QoS.AT_MOST_ONCE, 0));
    pub.send(PingReq.INSTANCE);
    pub.read(PingResp.class);
  }

  /**
   * Waits until the broker has finished with every earlier connection of {@code clientId}: a new
   * CONNECT with that identifier is answered only after the old connection has ended (its will, if
   * any, routed) or has been taken over, which ends it the same way.
   */
  private void syncWithTheEndOf(String clientId) throws IOException {
    RawClient c = connected(clientId, true);
    c.send(Disconnect.NORMAL);
    assertThat(c.isClosedWithin(CLOSE_WAIT)).isTrue();
  }

  private static void assertPingAnswered(RawClient c) throws IOException {
    c.send(PingReq.INSTANCE);
    MqttPacket p = c.read();
    assertThat(p).as("the next packet after PINGREQ").isInstanceOf(PingResp.class);
  }

  /** The broker closes the connection and sends nothing before it does. */
  private static void assertClosedWithoutReply(RawClient c) {
    Throwable t = catchThrowable(() -> c.read(CLOSE_WAIT));
    assertThat(t)
        .as("the connection is closed with nothing sent")
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(SocketTimeoutException.class);
  }

  private static Publish retainedPublish(String topic, String payload, QoS qos, int packetId) {
    return Packets.publish(topic, payload, qos, packetId).withDelivery(qos, true, false, packetId);
  }

  private static Publish dupPublish(String topic, String payload, QoS qos, int packetId) {
    return Packets.publish(topic, payload, qos, packetId).withDelivery(qos, false, true, packetId);
  }

  /** A packet as the bytes a 3.1.1 client writes. */
  private static byte[] wire(MqttPacket packet) {
    ByteBuf buf = PacketEncoder.encode(packet, MqttVersion.V3_1_1, ByteBufAllocator.DEFAULT);
    try {
      byte[] out = new byte[buf.readableBytes()];
      buf.readBytes(out);
      return out;
    } finally {
      buf.release();
    }
  }

  /*
   * CONNECT as written below:
   *   10 <remaining length>
   *   00 04 'M' 'Q' 'T' 'T'   protocol name
   *   04                      protocol level 4 (3.1.1)
   *   <flags>                 connect flags
   *   00 3C                   keep alive 60 seconds
   *   <payload fields>        as given, in the order given
   */
  private static byte[] connectFrame(int flags, byte[]... payload) {
    return frame(0x10, utf8String("MQTT"), bytes(4, flags, 0, 60), concat(payload));
  }

  /** A whole packet: the first byte, the remaining length, then {@code parts}. */
  private static byte[] frame(int firstByte, byte[]... parts) {
    byte[] body = concat(parts);
    ByteBuf length = Unpooled.buffer(4);
    VariableByteInteger.write(length, body.length);
    byte[] lengthBytes = new byte[length.readableBytes()];
    length.readBytes(lengthBytes);
    return concat(bytes(firstByte), lengthBytes, body);
  }

  /** A length-prefixed UTF-8 string. */
  private static byte[] utf8String(String s) {
    return rawString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A two-byte length, then {@code content} as it is (well-formed or not). */
  private static byte[] rawString(byte... content) {
    return concat(u16(content.length), content);
  }

  private static byte[] u16(int value) {
    return bytes(value >> 8, value);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  /** Bytes written as hex pairs separated by spaces. */
  private static byte[] hex(String pairs) {
    String[] parts = pairs.trim().split("\\s+");
    byte[] out = new byte[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = (byte) Integer.parseInt(parts[i], 16);
    }
    return out;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
