package io.starling.codec;

import io.netty.buffer.Unpooled;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Property;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.RetainHandling;
import io.starling.codec.packet.SubAck;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.codec.packet.UnsubAck;
import io.starling.codec.packet.Unsubscribe;
import io.starling.codec.packet.UserProperty;
import io.starling.codec.packet.Will;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * jqwik generators of packets that are valid for a protocol version: whatever they make, the
 * decoder must accept and give back unchanged.
 *
 * <p>Before 5.0: no properties, acknowledgements with Success only, SUBACK codes 0, 1, 2 and 0x80,
 * UNSUBACK without reason codes, CONNACK codes that have a 3.1.1 return code, a password only with
 * a user name. In 5.0: any properties the packet type allows, each non-repeatable one at most once,
 * values inside the decoder's checks, and reason codes the packet type allows.
 */
final class PacketArbitraries {
  private PacketArbitraries() {}

  /** One packet and the version it is written in. */
  record Sample(MqttVersion version, MqttPacket packet) {}

  static Arbitrary<MqttVersion> versions() {
    return Arbitraries.of(MqttVersion.class);
  }

  // ---- packets ------------------------------------------------------------------------------

  static Arbitrary<Connect> connects() {
    return versions().flatMap(PacketArbitraries::connect);
  }

  static Arbitrary<Connect> connect(MqttVersion v) {
    boolean v5 = v.isV5();
    return Combinators.combine(
            strings(0, 23),
            bools(),
            Arbitraries.integers().between(0, 0xFFFF),
            strings(0, 20).injectNull(0.4),
            binary(20).injectNull(0.4),
            will(v).injectNull(0.4),
            properties(v, PacketType.CONNECT))
        .as(
            (clientId, cleanStart, keepAlive, username, password, will, properties) ->
                new Connect(
                    v,
                    clientId,
                    cleanStart,
                    keepAlive,
                    username,
                    // 3.1 and 3.1.1 allow a password only with a user name [MQTT-3.1.2-22].
                    username == null && !v5 ? null : password,
                    will,
                    properties));
  }

  static Arbitrary<Will> will(MqttVersion v) {
    return Combinators.combine(topicNames(), binary(40), qos(), bools(), willProperties(v))
        .as(Will::new);
  }

  static Arbitrary<Sample> connAcks() {
    return versions().flatMap(v -> connAck(v).map(p -> new Sample(v, p)));
  }

  static Arbitrary<ConnAck> connAck(MqttVersion v) {
    Arbitrary<ReasonCode> codes =
        v.isV5()
            ? allowedCodes(PacketType.CONNACK)
            : Arbitraries.of(
                ReasonCode.SUCCESS,
                ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
                ReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
                ReasonCode.SERVER_UNAVAILABLE,
                ReasonCode.BAD_USER_NAME_OR_PASSWORD,
                ReasonCode.NOT_AUTHORIZED);
    return Combinators.combine(bools(), codes, properties(v, PacketType.CONNACK))
        .as(
            // Session present only with Success [MQTT-3.2.2-4].
            (present, code, properties) ->
                new ConnAck(present && code == ReasonCode.SUCCESS, code, properties));
  }

  static Arbitrary<Sample> publishes() {
    return versions().flatMap(v -> publish(v).map(p -> new Sample(v, p)));
  }

  /**
   * PUBLISH with an unpooled heap payload that nobody needs to release. In 5.0 the topic is
   * sometimes empty when a topic alias stands for it.
   */
  static Arbitrary<Publish> publish(MqttVersion v) {
    return Combinators.combine(
            topicNames(),
            qos(),
            bools(),
            bools(),
            packetIds(),
            properties(v, PacketType.PUBLISH),
            bools(),
            payloads())
        .as(
            (topic, qos, retain, dup, packetId, properties, emptyTopic, payload) ->
                new Publish(
                    emptyTopic && properties.contains(PropertyId.TOPIC_ALIAS) ? "" : topic,
                    qos,
                    retain,
                    dup && qos != QoS.AT_MOST_ONCE,
                    qos == QoS.AT_MOST_ONCE ? 0 : packetId,
                    properties,
                    Unpooled.wrappedBuffer(payload)));
  }

  static Arbitrary<Sample> acks() {
    return versions()
        .flatMap(
            v ->
                Arbitraries.of(
                        PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP)
                    .flatMap(t -> ack(v, t))
                    .map(p -> new Sample(v, p)));
  }

  static Arbitrary<MqttPacket> ack(MqttVersion v, PacketType type) {
    Arbitrary<ReasonCode> codes =
        v.isV5() ? allowedCodes(type) : Arbitraries.just(ReasonCode.SUCCESS);
    return Combinators.combine(packetIds(), codes, properties(v, type))
        .as(
            (id, code, properties) ->
                switch (type) {
                  case PUBACK -> new PubAck(id, code, properties);
                  case PUBREC -> new PubRec(id, code, properties);
                  case PUBREL -> new PubRel(id, code, properties);
                  case PUBCOMP -> new PubComp(id, code, properties);
                  default -> throw new IllegalArgumentException(type.toString());
                });
  }

  static Arbitrary<Sample> subscribes() {
    return versions().flatMap(v -> subscribe(v).map(p -> new Sample(v, p)));
  }

  static Arbitrary<Subscribe> subscribe(MqttVersion v) {
    return Combinators.combine(
            packetIds(),
            subscription(v).list().ofMinSize(1).ofMaxSize(8),
            properties(v, PacketType.SUBSCRIBE))
        .as(Subscribe::new);
  }

  static Arbitrary<Subscription> subscription(MqttVersion v) {
    if (!v.isV5()) {
      return Combinators.combine(topicFilters(v), qos()).as(Subscription::of);
    }
    return Combinators.combine(
            topicFilters(v), qos(), bools(), bools(), Arbitraries.of(RetainHandling.class))
        .as(
            // No Local on a shared subscription is a Protocol Error [MQTT-3.8.3-4].
            (filter, qos, noLocal, rap, handling) ->
                new Subscription(filter, qos, noLocal && !Topics.isShared(filter), rap, handling));
  }

  static Arbitrary<Sample> subAcks() {
    return versions().flatMap(v -> subAck(v).map(p -> new Sample(v, p)));
  }

  static Arbitrary<SubAck> subAck(MqttVersion v) {
    Arbitrary<ReasonCode> codes =
        v.isV5()
            ? allowedCodes(PacketType.SUBACK)
            : Arbitraries.of(
                ReasonCode.SUCCESS,
                ReasonCode.GRANTED_QOS_1,
                ReasonCode.GRANTED_QOS_2,
                ReasonCode.UNSPECIFIED_ERROR);
    return Combinators.combine(
            packetIds(), codes.list().ofMinSize(1).ofMaxSize(8), properties(v, PacketType.SUBACK))
        .as(SubAck::new);
  }

  static Arbitrary<Sample> unsubscribes() {
    return versions().flatMap(v -> unsubscribe(v).map(p -> new Sample(v, p)));
  }

  static Arbitrary<Unsubscribe> unsubscribe(MqttVersion v) {
    return Combinators.combine(
            packetIds(),
            topicFilters(v).list().ofMinSize(1).ofMaxSize(8),
            properties(v, PacketType.UNSUBSCRIBE))
        .as(Unsubscribe::new);
  }

  static Arbitrary<Sample> unsubAcks() {
    return versions().flatMap(v -> unsubAck(v).map(p -> new Sample(v, p)));
  }

  static Arbitrary<UnsubAck> unsubAck(MqttVersion v) {
    Arbitrary<List<ReasonCode>> codes =
        v.isV5()
            ? allowedCodes(PacketType.UNSUBACK).list().ofMinSize(1).ofMaxSize(8)
            : Arbitraries.just(List.of());
    return Combinators.combine(packetIds(), codes, properties(v, PacketType.UNSUBACK))
        .as(UnsubAck::new);
  }

  static Arbitrary<Sample> disconnects() {
    return versions()
        .flatMap(
            v ->
                v.isV5()
                    ? Combinators.combine(
                            allowedCodes(PacketType.DISCONNECT),
                            properties(v, PacketType.DISCONNECT))
                        .as((code, properties) -> new Sample(v, new Disconnect(code, properties)))
                    : Arbitraries.just(new Sample(v, Disconnect.NORMAL)));
  }

  /** AUTH exists only in 5.0. */
  static Arbitrary<Auth> auths() {
    return Combinators.combine(
            allowedCodes(PacketType.AUTH), properties(MqttVersion.V5, PacketType.AUTH))
        .as(Auth::new);
  }

  // ---- properties ---------------------------------------------------------------------------

  /** Properties for a packet type in a version: always empty before 5.0. */
  static Arbitrary<Properties> properties(MqttVersion v, PacketType type) {
    return v.isV5() ? properties(type) : Arbitraries.just(Properties.EMPTY);
  }

  static Arbitrary<Properties> willProperties(MqttVersion v) {
    return v.isV5() ? properties(null) : Arbitraries.just(Properties.EMPTY);
  }

  /**
   * Any valid 5.0 properties of a packet type ({@code null} for will properties), in random wire
   * order: each allowed property absent or present, repeatable ones up to three times.
   */
  static Arbitrary<Properties> properties(PacketType type) {
    PacketType repeatContext = type == null ? PacketType.CONNECT : type;
    List<Arbitrary<List<Property>>> perId = new ArrayList<>();
    for (PropertyId id : PropertyId.values()) {
      boolean allowed = type == null ? id.inWill() : id.isAllowedIn(type);
      if (allowed) {
        int most = id.isRepeatableIn(repeatContext) ? 3 : 1;
        Arbitrary<Property> one = propertyValue(id).map(value -> new Property(id, value));
        perId.add(
            Arbitraries.frequencyOf(
                List.of(
                    Tuple.of(2, Arbitraries.just(List.<Property>of())),
                    Tuple.of(1, one.list().ofMinSize(1).ofMaxSize(most)))));
      }
    }
    Arbitrary<List<Property>> all =
        Combinators.combine(perId)
            .as(lists -> lists.stream().flatMap(List::stream).collect(Collectors.toList()));
    return Combinators.combine(all, Arbitraries.randoms(), Arbitraries.integers().between(0, 3))
        .as(
            (entries, random, none) -> {
              if (none == 0) {
                return Properties.EMPTY;
              }
              List<Property> shuffled = new ArrayList<>(entries);
              Collections.shuffle(shuffled, random);
              return Properties.of(shuffled);
            });
  }

  /** A value for a property inside the bounds {@code PacketDecoder.checkPropertyValue} sets. */
  static Arbitrary<?> propertyValue(PropertyId id) {
    return switch (id) {
      case RECEIVE_MAXIMUM, TOPIC_ALIAS -> Arbitraries.integers().between(1, 0xFFFF);
      case SUBSCRIPTION_IDENTIFIER -> Arbitraries.integers().between(1, VariableByteInteger.MAX);
      case MAXIMUM_PACKET_SIZE -> Arbitraries.longs().between(1, 0xFFFF_FFFFL);
      case RESPONSE_TOPIC -> topicNames();
      default ->
          switch (id.type()) {
            // Every byte property is a 0-or-1 flag.
            case BYTE -> Arbitraries.integers().between(0, 1);
            case TWO_BYTE_INTEGER -> Arbitraries.integers().between(0, 0xFFFF);
            case FOUR_BYTE_INTEGER -> Arbitraries.longs().between(0, 0xFFFF_FFFFL);
            case VARIABLE_BYTE_INTEGER ->
                Arbitraries.integers().between(0, VariableByteInteger.MAX);
            case UTF8_STRING -> strings(0, 30);
            case BINARY_DATA -> binary(30);
            case UTF8_STRING_PAIR ->
                Combinators.combine(strings(0, 12), strings(0, 12)).as(UserProperty::new);
          };
    };
  }

  // ---- fields -------------------------------------------------------------------------------

  static Arbitrary<Boolean> bools() {
    return Arbitraries.of(true, false);
  }

  static Arbitrary<QoS> qos() {
    return Arbitraries.of(QoS.class);
  }

  static Arbitrary<Integer> packetIds() {
    return Arbitraries.integers().between(1, 0xFFFF);
  }

  static Arbitrary<ReasonCode> allowedCodes(PacketType type) {
    return Arbitraries.of(
        Arrays.stream(ReasonCode.values()).filter(c -> c.isAllowedIn(type)).toList());
  }

  /**
   * Code points of valid MQTT strings: mostly ASCII, also the rest of the Basic Multilingual Plane
   * without surrogates, and supplementary characters (4 UTF-8 bytes, 2 Java chars). Never U+0000.
   */
  static Arbitrary<Integer> codePoints() {
    return Arbitraries.frequencyOf(
        List.of(
            Tuple.of(6, Arbitraries.integers().between(0x01, 0x7F)),
            Tuple.of(
                2,
                Arbitraries.integers()
                    .between(0x80, 0xFFFF)
                    .filter(c -> c < Character.MIN_SURROGATE || c > Character.MAX_SURROGATE)),
            Tuple.of(1, Arbitraries.integers().between(0x10000, Character.MAX_CODE_POINT))));
  }

  static Arbitrary<String> strings(int minCodePoints, int maxCodePoints) {
    return codePoints()
        .list()
        .ofMinSize(minCodePoints)
        .ofMaxSize(maxCodePoints)
        .map(PacketArbitraries::fromCodePoints);
  }

  /** One topic level: no '/', '+' or '#'. */
  static Arbitrary<String> levels(int minCodePoints) {
    return codePoints()
        .filter(c -> c != '/' && c != '+' && c != '#')
        .list()
        .ofMinSize(minCodePoints)
        .ofMaxSize(8)
        .map(PacketArbitraries::fromCodePoints);
  }

  /** Topic names: one or more levels, possibly empty ones, never empty as a whole. */
  static Arbitrary<String> topicNames() {
    return levels(0)
        .list()
        .ofMinSize(1)
        .ofMaxSize(5)
        .map(l -> String.join("/", l))
        .filter(t -> !t.isEmpty());
  }

  /**
   * Topic filters: levels and '+' levels, perhaps a final '#'; in 5.0 sometimes shared as {@code
   * $share/<share>/<filter>}.
   */
  static Arbitrary<String> topicFilters(MqttVersion v) {
    Arbitrary<String> level =
        Arbitraries.frequencyOf(
            List.of(Tuple.of(4, levels(0)), Tuple.of(1, Arbitraries.just("+"))));
    Arbitrary<String> plain =
        Combinators.combine(level.list().ofMinSize(1).ofMaxSize(5), bools())
            .as(
                (l, multi) ->
                    String.join("/", l)
                        + (multi ? (l.size() == 1 && l.get(0).isEmpty() ? "#" : "/#") : ""));
    Arbitrary<String> filter = plain;
    if (v.isV5()) {
      Arbitrary<String> shared =
          Combinators.combine(levels(1), plain)
              .as((share, f) -> Topics.SHARE_PREFIX + share + "/" + f);
      filter = Arbitraries.frequencyOf(List.of(Tuple.of(4, plain), Tuple.of(1, shared)));
    }
    return filter.filter(f -> Topics.topicFilterProblem(f, v) == null);
  }

  static Arbitrary<BinaryData> binary(int maxBytes) {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(maxBytes).map(BinaryData::of);
  }

  /**
   * Payload bytes: mostly small, sometimes around the sizes where the remaining length needs a
   * third byte (16,384), up to 70,000. Filled from a seed rather than byte by byte, for speed.
   */
  static Arbitrary<byte[]> payloads() {
    Arbitrary<Integer> sizes =
        Arbitraries.frequencyOf(
            List.of(
                Tuple.of(8, Arbitraries.integers().between(0, 300)),
                Tuple.of(1, Arbitraries.integers().between(16_300, 16_400)),
                Tuple.of(1, Arbitraries.integers().between(0, 70_000))));
    return Combinators.combine(sizes, Arbitraries.longs())
        .as(
            (size, seed) -> {
              byte[] bytes = new byte[size];
              new Random(seed).nextBytes(bytes);
              return bytes;
            });
  }

  private static String fromCodePoints(List<Integer> codePoints) {
    StringBuilder s = new StringBuilder();
    for (int c : codePoints) {
      s.appendCodePoint(c);
    }
    return s.toString();
  }
}
