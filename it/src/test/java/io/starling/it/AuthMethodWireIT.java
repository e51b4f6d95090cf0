package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.starling.broker.Broker;
import io.starling.broker.config.ConfigLoader;
import io.starling.broker.security.PasswordFile;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Auth;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.wire.PacketEncoder;
import io.starling.testkit.TestBroker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Authentication Method of a real SCRAM-SHA-512 exchange, read byte by byte off the wire (not
 * through Starling's decoder): every AUTH the broker sends, at CONNECT and on re-authentication,
 * and the successful CONNACK carry the method of CONNECT, once [MQTT-4.12.0-5]; a CONNECT without
 * one gets neither AUTH nor a method [MQTT-4.12.0-6]; and an AUTH with another method, or from a
 * client whose CONNECT named none, is a Protocol Error [MQTT-4.12.1-1] [MQTT-4.12.0-7]: DISCONNECT
 * 0x82 once connected, CONNACK 0x82 during the CONNECT exchange (no DISCONNECT may come before
 * CONNACK [MQTT-3.14.0-1]).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthMethodWireIT {
  private static final String METHOD = "SCRAM-SHA-512";

  // Packet types of the first byte, as the specification's table 2-1 numbers them.
  private static final int CONNACK = 0x20;
  private static final int DISCONNECT = 0xE0;
  private static final int AUTH = 0xF0;

  // Property identifiers (section 2.2.2.2).
  private static final int AUTHENTICATION_METHOD = 0x15;
  private static final int AUTHENTICATION_DATA = 0x16;

  @TempDir Path dir;
  private Broker broker;
  private final List<Socket> sockets = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    Path passwd = dir.resolve("passwd");
    PasswordFile.empty().with("alice", "alice-pw".toCharArray(), 4096).save(passwd);
    String yaml =
        "security:\n"
            + "  authenticators: [file]\n"
            + "  password_file: "
            + passwd
            + "\n"
            + "  auth_cache_seconds: 0\n"
            + "abuse:\n"
            + "  max_failed_logins_per_minute: 0\n";
    broker = TestBroker.start(ConfigLoader.parse(yaml, "test.yaml"));
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    broker.close();
  }

  // ---- the tests ------------------------------------------------------------------------------

  @Test
  void everyAuthAndTheConnAckCarryTheMethodOfConnectOnReauthenticationToo() throws Exception {
    Socket s = open();
    scramConnect(s, new ScramHardeningIT.Scram("alice", "alice-pw"));
    for (int round = 0; round < 2; round++) {
      ScramHardeningIT.Scram again = new ScramHardeningIT.Scram("alice", "alice-pw");
      send(s, new Auth(ReasonCode.REAUTHENTICATE, auth(METHOD, again.first())));
      Frame challenge = read(s);
      assertThat(challenge.type()).as("AUTH").isEqualTo(AUTH);
      assertThat(challenge.body()[0]).as("0x18 continue").isEqualTo((byte) 0x18);
      List<Prop> props = challenge.properties(1);
      assertThat(methods(props)).as("re-authentication challenge").containsExactly(METHOD);
      send(
          s,
          new Auth(
              ReasonCode.CONTINUE_AUTHENTICATION,
              auth(METHOD, again.last(utf8(single(props, AUTHENTICATION_DATA))))));
      Frame done = read(s);
      assertThat(done.type()).as("AUTH").isEqualTo(AUTH);
      assertThat(done.body()[0]).as("0x00 success").isEqualTo((byte) 0x00);
      List<Prop> doneProps = done.properties(1);
      assertThat(methods(doneProps)).as("re-authentication success").containsExactly(METHOD);
      assertThat(utf8(single(doneProps, AUTHENTICATION_DATA))).startsWith("v=");
    }
    // Still connected: PINGREQ is answered with PINGRESP (D0 00).
    s.getOutputStream().write(new byte[] {(byte) 0xC0, 0x00});
    assertThat(read(s).type()).isEqualTo(0xD0);
  }

  @Test
  void reauthenticationWithAnotherMethodIsAProtocolError() throws Exception {
    Socket s = open();
    scramConnect(s, new ScramHardeningIT.Scram("alice", "alice-pw"));
    send(s, new Auth(ReasonCode.REAUTHENTICATE, auth("SCRAM-SHA-256", "n,,n=alice,r=abc")));
    assertDisconnected(s, 0x82);
  }

  @Test
  void anotherMethodInTheMiddleOfAReauthenticationIsAProtocolError() throws Exception {
    Socket s = open();
    scramConnect(s, new ScramHardeningIT.Scram("alice", "alice-pw"));
    ScramHardeningIT.Scram again = new ScramHardeningIT.Scram("alice", "alice-pw");
    send(s, new Auth(ReasonCode.REAUTHENTICATE, auth(METHOD, again.first())));
    Frame challenge = read(s);
    assertThat(methods(challenge.properties(1))).containsExactly(METHOD);
    String answer = again.last(utf8(single(challenge.properties(1), AUTHENTICATION_DATA)));
    send(s, new Auth(ReasonCode.CONTINUE_AUTHENTICATION, auth("PLAIN", answer)));
    assertDisconnected(s, 0x82);
  }

  @Test
  void aClientWhoseConnectNamedNoMethodGetsNoMethodAndMayNotReauthenticate() throws Exception {
    Socket s = open();
    send(
        s,
        new Connect(
            MqttVersion.V5,
            ItSupport.uniqueId("plain"),
            true,
            60,
            "alice",
            BinaryData.of(utf8("alice-pw")),
            null,
            Properties.EMPTY));
    Frame ack = read(s);
    assertThat(ack.type()).as("CONNACK, no AUTH before it").isEqualTo(CONNACK);
    assertThat(ack.body()[1]).as("success").isEqualTo((byte) 0x00);
    assertThat(ack.properties(2))
        .as("no Authentication Method or Data in CONNACK [MQTT-4.12.0-6]")
        .extracting(Prop::id)
        .doesNotContain(AUTHENTICATION_METHOD, AUTHENTICATION_DATA);
    ScramHardeningIT.Scram scram = new ScramHardeningIT.Scram("alice", "alice-pw");
    send(s, new Auth(ReasonCode.REAUTHENTICATE, auth(METHOD, scram.first())));
    assertDisconnected(s, 0x82); // [MQTT-4.12.0-7]
  }

  @Test
  void anotherMethodDuringTheConnectExchangeIsRefusedWithConnAck0x82() throws Exception {
    Socket s = open();
    ScramHardeningIT.Scram scram = new ScramHardeningIT.Scram("alice", "alice-pw");
    send(s, connect(scram.first()));
    Frame challenge = read(s);
    assertThat(challenge.type()).isEqualTo(AUTH);
    String answer = scram.last(utf8(single(challenge.properties(1), AUTHENTICATION_DATA)));
    send(s, new Auth(ReasonCode.CONTINUE_AUTHENTICATION, auth("PLAIN", answer)));
    Frame refusal = read(s);
    assertThat(refusal.type()).as("CONNACK, not DISCONNECT, before CONNACK").isEqualTo(CONNACK);
    assertThat(refusal.body()[1] & 0xFF).as("protocol error").isEqualTo(0x82);
    assertThat(refusal.properties(2)).extracting(Prop::id).doesNotContain(AUTHENTICATION_METHOD);
    assertClosed(s);
  }

  // ---- the exchange ---------------------------------------------------------------------------

  /** CONNECT and AUTH of a SCRAM exchange, each broker packet checked byte by byte. */
  private void scramConnect(Socket s, ScramHardeningIT.Scram scram) throws Exception {
    send(s, connect(scram.first()));
    Frame challenge = read(s);
    assertThat(challenge.type()).as("AUTH").isEqualTo(AUTH);
    assertThat(challenge.body()[0]).as("0x18 continue").isEqualTo((byte) 0x18);
    List<Prop> props = challenge.properties(1);
    assertThat(methods(props)).as("the challenge").containsExactly(METHOD);
    send(
        s,
        new Auth(
            ReasonCode.CONTINUE_AUTHENTICATION,
            auth(METHOD, scram.last(utf8(single(props, AUTHENTICATION_DATA))))));
    Frame ack = read(s);
    assertThat(ack.type()).as("CONNACK").isEqualTo(CONNACK);
    assertThat(ack.body()[1]).as("success").isEqualTo((byte) 0x00);
    List<Prop> ackProps = ack.properties(2);
    assertThat(methods(ackProps)).as("the successful CONNACK").containsExactly(METHOD);
    assertThat(utf8(single(ackProps, AUTHENTICATION_DATA))).startsWith("v=");
  }

  private static Connect connect(String clientFirst) {
    return new Connect(
        MqttVersion.V5,
        ItSupport.uniqueId("wire"),
        true,
        60,
        null,
        null,
        null,
        auth(METHOD, clientFirst));
  }

  private static Properties auth(String method, String data) {
    return Properties.builder()
        .add(PropertyId.AUTHENTICATION_METHOD, method)
        .add(PropertyId.AUTHENTICATION_DATA, BinaryData.of(utf8(data)))
        .build();
  }

  /** A DISCONNECT with {@code reason} (E0, length, reason, properties), then the close. */
  private static void assertDisconnected(Socket s, int reason) throws IOException {
    Frame d = read(s);
    assertThat(d.type()).as("DISCONNECT").isEqualTo(DISCONNECT);
    assertThat(d.body()[0] & 0xFF).as("reason code").isEqualTo(reason);
    assertClosed(s);
  }

  private static void assertClosed(Socket s) throws IOException {
    s.setSoTimeout(5_000);
    try {
      assertThat(s.getInputStream().read()).as("closed after it").isEqualTo(-1);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the broker did not close the connection", e);
    } catch (IOException reset) {
      // a reset after the packet counts as closed
    }
  }

  // ---- the wire, by hand ----------------------------------------------------------------------

  private Socket open() throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.connect(new InetSocketAddress("127.0.0.1", broker.port()), 5_000);
    s.setTcpNoDelay(true);
    s.setSoTimeout(5_000);
    return s;
  }

  private static void send(Socket s, MqttPacket p) throws IOException {
    ByteBuf buf = PacketEncoder.encode(p, MqttVersion.V5, ByteBufAllocator.DEFAULT);
    try {
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      OutputStream out = s.getOutputStream();
      out.write(bytes);
      out.flush();
    } finally {
      buf.release();
    }
  }

  /** One packet: its first byte and the bytes its Remaining Length counts. */
  private static Frame read(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    int first = in.read();
    if (first < 0) {
      throw new IOException("closed by the broker");
    }
    int remaining = 0;
    for (int shift = 0, b = 0x80; (b & 0x80) != 0; shift += 7) {
      b = in.read();
      if (b < 0 || shift > 21) {
        throw new IOException("bad remaining length");
      }
      remaining |= (b & 0x7F) << shift;
    }
    byte[] body = in.readNBytes(remaining);
    assertThat(body).hasSize(remaining);
    return new Frame(first, body);
  }

  /** A property as sent: its identifier and its value's bytes (length prefixes included). */
  record Prop(int id, byte[] value) {}

  record Frame(int first, byte[] body) {
    int type() {
      return first & 0xF0;
    }

    /**
     * The properties that start at {@code offset} of the body: a Variable Byte Integer length, then
     * identifier and value pairs, each value as its identifier's type says (section 2.2.2.2).
     */
    List<Prop> properties(int offset) {
      int[] at = {offset};
      int length = vbi(at);
      int end = at[0] + length;
      assertThat(end).as("property length within the packet").isLessThanOrEqualTo(body.length);
      List<Prop> props = new ArrayList<>();
      while (at[0] < end) {
        int id = vbi(at);
        int start = at[0];
        at[0] += valueLength(id, start);
        assertThat(at[0]).as("property 0x%02x within the properties", id).isLessThanOrEqualTo(end);
        props.add(new Prop(id, Arrays.copyOfRange(body, start, at[0])));
      }
      return props;
    }

    private int valueLength(int id, int at) {
      return switch (id) {
        case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A -> 1; // byte
        case 0x13, 0x21, 0x22, 0x23 -> 2; // two byte integer
        case 0x02, 0x11, 0x18, 0x27 -> 4; // four byte integer
        case 0x0B -> {
          int[] p = {at};
          vbi(p);
          yield p[0] - at;
        }
        case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F, 0x09, 0x16 -> 2 + u16(at); // string, data
        case 0x26 -> {
          int second = at + 2 + u16(at);
          yield second + 2 + u16(second) - at; // string pair
        }
        default -> throw new AssertionError(String.format("unknown property 0x%02x", id));
      };
    }

    private int u16(int at) {
      return ((body[at] & 0xFF) << 8) | (body[at + 1] & 0xFF);
    }

    private int vbi(int[] at) {
      int value = 0;
      for (int shift = 0; ; shift += 7) {
        int b = body[at[0]++] & 0xFF;
        value |= (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return value;
        }
      }
    }
  }

  /** The Authentication Methods among {@code props}, as UTF-8 text. */
  private static List<String> methods(List<Prop> props) {
    return props.stream()
        .filter(p -> p.id() == AUTHENTICATION_METHOD)
        .map(AuthMethodWireIT::utf8)
        .toList();
  }

  /** The value of the one property {@code id} among {@code props}. */
  private static Prop single(List<Prop> props, int id) {
    List<Prop> found = props.stream().filter(p -> p.id() == id).toList();
    assertThat(found).as("property 0x%02x once", id).hasSize(1);
    return found.get(0);
  }

  /** A string or binary property's value without its two length bytes. */
  private static String utf8(Prop p) {
    int n = ((p.value()[0] & 0xFF) << 8) | (p.value()[1] & 0xFF);
    assertThat(p.value()).hasSize(2 + n);
    return new String(p.value(), 2, n, StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
