package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Publish;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 3.1.1 client cannot be told why the broker closed its connection, so the broker's log says it:
 * one INFO line per connection it ends, with the client id (escaped) and address and the cause,
 * read from a real broker process's output as an operator's log collector would. A 5.0 client's
 * line names the reason code too; a client's own DISCONNECT writes none.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CloseLogIT {
  private static final int MAX_PACKET = 1024;

  @TempDir static Path dir;
  private static BrokerProcess broker;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    Path config = dir.resolve("starling.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "limits:",
            "  max_packet_size: " + MAX_PACKET,
            "sys:",
            "  interval_seconds: 0",
            ""),
        StandardCharsets.UTF_8);
    port = freePort();
    broker =
        BrokerProcess.start(
            Duration.ofSeconds(60),
            "--port",
            Integer.toString(port),
            "--config",
            config.toString());
    assertThat(broker.isAlive()).as("broker output:%n%s", broker).isTrue();
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void aKeepAliveTimeoutOfA311ClientIsLoggedWithItsIdAndAddress() throws Exception {
    String clean = ItSupport.uniqueId("clean-goodbye");
    try (RawClient c = RawClient.connect(port)) {
      c.send(Packets.connect(clean, true));
      c.read(ConnAck.class);
      c.send(new Disconnect(ReasonCode.SUCCESS, Properties.EMPTY));
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    }
    String id = ItSupport.uniqueId("silent") + "\r\nforged line";
    try (RawClient c = RawClient.connect(port)) {
      c.send(Packets.connect(MqttVersion.V3_1_1, id, true, 1, null));
      c.read(ConnAck.class);
      // Nothing more: closed after 1.5 times the keep-alive (3.1.1 [MQTT-3.1.2-24]).
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    }
    String escaped = id.replace("\r\n", "\\r\\n");
    String line = awaitLine(escaped);
    assertThat(line)
        .contains("client " + escaped + " from /127.0.0.1:")
        .contains("(MQTT 3.1.1) closed by the broker: Keep Alive timeout")
        .contains("no packet within 1.5 times the keep-alive")
        .doesNotContain("0x8D"); // no reason code went to the 3.1.1 client
    assertThat(lines()).as("no line of the client's own").noneMatch(l -> l.startsWith("forged"));
    assertThat(lines())
        .as("the client's own DISCONNECT is not a close to explain")
        .noneMatch(l -> l.contains(clean));
  }

  @Test
  void aPacketTooLargeIsLoggedForA311AndA50Client() throws Exception {
    String id = ItSupport.uniqueId("big311");
    try (RawClient c = RawClient.connect(port)) {
      c.send(Packets.connect(id, true));
      c.read(ConnAck.class);
      c.send(bigPublish());
      assertThat(c.isClosedWithin(Duration.ofSeconds(5))).isTrue();
    }
    assertThat(awaitLine(id))
        .contains("client " + id + " from /127.0.0.1:")
        .contains("(MQTT 3.1.1) closed by the broker: Packet too large")
        .contains("over the limit of " + MAX_PACKET);

    String id5 = ItSupport.uniqueId("big5");
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5)) {
      c.send(Packets.connect5(id5, Properties.EMPTY));
      c.read(ConnAck.class);
      c.send(bigPublish());
      assertThat(c.read(Disconnect.class).reasonCode()).isEqualTo(ReasonCode.PACKET_TOO_LARGE);
    }
    assertThat(awaitLine(id5)).contains("(MQTT 5.0) closed by the broker: 0x95 Packet too large");
  }

  private static Publish bigPublish() {
    byte[] payload = new byte[2 * MAX_PACKET];
    return new Publish(
        "close-log/big",
        QoS.AT_MOST_ONCE,
        false,
        false,
        0,
        Properties.EMPTY,
        Unpooled.wrappedBuffer(payload));
  }

  /** The one line naming {@code text}, once the broker wrote it. */
  private static String awaitLine(String text) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> lines().stream().anyMatch(l -> l.contains(text)));
    List<String> found =
        lines().stream().filter(l -> l.contains(text)).collect(Collectors.toList());
    assertThat(found).as("one line per closed connection").hasSize(1);
    return found.get(0);
  }

  private static List<String> lines() {
    return List.of(broker.toString().split("\n"));
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
