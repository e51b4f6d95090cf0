package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.cli.Main;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.Publish;
import io.starling.codec.packet.SubAck;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Helpers for the security, abuse and robustness tests. */
final class SecuritySupport {
  private SecuritySupport() {}

  /** A 3.1.1 CONNECT with credentials (either may be null). */
  static Connect connect(String clientId, String user, String password) {
    return new Connect(
        MqttVersion.V3_1_1,
        clientId,
        true,
        60,
        user,
        password == null ? null : BinaryData.of(password.getBytes(StandardCharsets.UTF_8)),
        null,
        Properties.EMPTY);
  }

  /** Connects a raw client and returns the CONNACK's reason (3.1.1 return codes map onto it). */
  static ReasonCode login(int port, String clientId, String user, String password)
      throws IOException {
    try (RawClient c = RawClient.connect(port)) {
      c.send(connect(clientId, user, password));
      return c.read(ConnAck.class).reasonCode();
    }
  }

  /**
   * A well-behaved client gets a QoS 1 round trip: it connects (as {@code user} if given),
   * subscribes at QoS 1, publishes at QoS 1 and receives its own message.
   */
  static void assertQos1RoundTrip(int port, String user, String password) throws IOException {
    String id = ItSupport.uniqueId("healthy");
    String topic = user == null ? "health/" + id : "users/" + user + "/" + id;
    try (RawClient c = RawClient.connect(port)) {
      c.send(connect(id, user, password));
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      c.send(Packets.subscribe(1, topic, QoS.AT_LEAST_ONCE));
      assertThat(c.read(SubAck.class).reasonCodes()).containsExactly(ReasonCode.GRANTED_QOS_1);
      c.send(Packets.publish(topic, "ok", QoS.AT_LEAST_ONCE, 2));
      boolean acked = false;
      Publish delivered = null;
      while (!acked || delivered == null) {
        MqttPacket p = c.read();
        if (p instanceof PubAck a) {
          assertThat(a.packetId()).isEqualTo(2);
          acked = true;
        } else if (p instanceof Publish pub) {
          delivered = pub;
        }
      }
      assertThat(Packets.text(delivered)).isEqualTo("ok");
      c.send(PubAck.of(delivered.packetId()));
    }
  }

  /**
   * Runs {@code starling passwd [flag] --stdin --iterations=N FILE USER} in-process, the password
   * on standard input, as users make password files; {@code flag} may be empty.
   */
  static void passwd(Path file, int iterations, String flag, String user, String password) {
    InputStream saved = System.in;
    System.setIn(new ByteArrayInputStream((password + "\n").getBytes(StandardCharsets.UTF_8)));
    try {
      List<String> args =
          new ArrayList<>(List.of("passwd", "--stdin", "--iterations=" + iterations));
      if (!flag.isEmpty()) {
        args.add(flag);
      }
      args.add(file.toString());
      args.add(user);
      StringWriter err = new StringWriter();
      int code =
          Main.run(
              new PrintWriter(new StringWriter()),
              new PrintWriter(err),
              args.toArray(String[]::new));
      assertThat(code).as(err.toString()).isZero();
    } finally {
      System.setIn(saved);
    }
  }
}
