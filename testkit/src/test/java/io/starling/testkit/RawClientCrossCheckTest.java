package io.starling.testkit;

import static io.starling.testkit.WireReaderTest.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.codec.CodecLimits;
import io.starling.codec.MalformedPacketException;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.Disconnect;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.Publish;
import io.starling.codec.wire.PacketDecoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link RawClient} reading from a stand-in server that writes hand-written bytes: packets that
 * both readers agree on come through with their bytes, and a codec that decodes one field wrong, a
 * packet the codec accepts but no server may send, or a codec that refuses a good packet, fail the
 * read.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RawClientCrossCheckTest {
  private ServerSocket server;
  private CompletableFuture<Void> served;

  /** Listens on an ephemeral port; the first connection is sent {@code bytes}, then held open. */
  private int serve(byte[] bytes) throws IOException {
    server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    served =
        CompletableFuture.runAsync(
            () -> {
              try (Socket s = server.accept()) {
                s.getOutputStream().write(bytes);
                s.getOutputStream().flush();
                InputStream in = s.getInputStream();
                while (in.read() >= 0) {
                  // hold the connection until the client closes it
                }
              } catch (IOException e) {
                // the client reset the connection: done
              }
            });
    return server.getLocalPort();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
      served.get(10, TimeUnit.SECONDS);
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static RawClient.Decoding codec() {
    return new PacketDecoder(CodecLimits.DEFAULTS)::decode;
  }

  @Test
  void agreedPacketsAreReadAndTheirBytesKept() throws Exception {
    byte[] connAck = b(0x20, 0x03, 0x00, 0x00, 0x00);
    byte[] publish = b(0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 0x00, 'x');
    int port = serve(concat(connAck, publish));
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5)) {
      assertThat(c.lastPacketBytes()).isEmpty();
      assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      assertThat(c.lastPacketBytes()).isEqualTo(connAck);
      Publish p = c.read(Publish.class);
      assertThat(p.packetId()).isEqualTo(5);
      assertThat(c.lastPacketBytes()).isEqualTo(publish);
    }
  }

  @Test
  void aCodecThatDecodesOneFieldWrongFailsTheRead() throws Exception {
    // PUBLISH QoS 1 with RETAIN 1; the "buggy codec" loses the RETAIN flag.
    byte[] publish = b(0x33, 0x06, 0x00, 0x01, 't', 0x00, 0x05, 'x');
    RawClient.Decoding codec = codec();
    RawClient.Decoding losesRetain =
        (first, body, version) -> {
          Publish p = (Publish) codec.decode(first, body, version);
          return p.withDelivery(p.qos(), false, p.dup(), p.packetId());
        };
    int port = serve(publish);
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V3_1_1, losesRetain)) {
      assertThatThrownBy(c::read)
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("field retain is true on the wire")
          .hasMessageContaining("but false in the codec's decoding");
      assertThat(c.lastPacketBytes()).isEqualTo(publish);
    }
  }

  @Test
  void aCodecThatMisreadsAnAcknowledgementFailsTheRead() throws Exception {
    byte[] pubAck = b(0x40, 0x03, 0x00, 0x07, 0x10); // PUBACK 7, No matching subscribers
    RawClient.Decoding dropsReason = (first, body, version) -> PubAck.of(7);
    int port = serve(pubAck);
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5, dropsReason)) {
      assertThatThrownBy(c::read).hasMessageContaining("field reasonCode is 0x10");
    }
  }

  @Test
  void aPacketTheCodecAcceptsButNoServerMaySendFailsTheRead() throws Exception {
    // DISCONNECT with a Session Expiry Interval: the codec reads it (a client may send it), but
    // a server may not [MQTT-3.14.2-2].
    byte[] disconnect = b(0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x0A);
    assertThat(
            codec()
                .decode(
                    0xE0, io.netty.buffer.Unpooled.wrappedBuffer(disconnect, 2, 7), MqttVersion.V5))
        .isInstanceOf(Disconnect.class);
    int port = serve(disconnect);
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5)) {
      assertThatThrownBy(c::read)
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("no server may send")
          .hasMessageContaining("[MQTT-3.14.2-2]")
          .hasMessageContaining("e00700051100");
    }
  }

  @Test
  void aDisconnectToAn311ClientFailsTheRead() throws Exception {
    int port = serve(b(0xE0, 0x00));
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V3_1_1)) {
      assertThatThrownBy(c::read).hasMessageContaining("Client to Server only");
    }
  }

  @Test
  void aPacketBothRefuseFailsTheReadWithBothReasons() throws Exception {
    int port = serve(b(0x42, 0x02, 0x00, 0x01)); // PUBACK with reserved flags 0010
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V3_1_1)) {
      assertThatThrownBy(c::read)
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("[MQTT-2.2.2-1]")
          .hasMessageContaining("the codec refused it too")
          .satisfies(
              e ->
                  assertThat(e.getSuppressed())
                      .hasAtLeastOneElementOfType(MalformedPacketException.class));
    }
  }

  @Test
  void aCodecThatRefusesAGoodPacketFailsTheRead() throws Exception {
    RawClient.Decoding refuses =
        (first, body, version) -> {
          throw new MalformedPacketException(
              ReasonCode.MALFORMED_PACKET, version, null, "stand-in codec bug");
        };
    int port = serve(b(0xD0, 0x00));
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5, refuses)) {
      assertThatThrownBy(c::read)
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("the codec refused a packet the independent reader accepts");
    }
  }

  @Test
  void aRemainingLengthOfFiveBytesFailsTheRead() throws Exception {
    int port = serve(b(0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01));
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5)) {
      assertThatThrownBy(c::read).hasMessageContaining("at most 4");
    }
  }

  @Test
  void theCodecSideSeesTheBodyOnly() throws Exception {
    byte[] connAck = b(0x20, 0x03, 0x00, 0x00, 0x00);
    int[] seen = new int[2];
    RawClient.Decoding codec = codec();
    RawClient.Decoding spy =
        (first, body, version) -> {
          seen[0] = first;
          seen[1] = body.readableBytes();
          return codec.decode(first, body, version);
        };
    int port = serve(connAck);
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5, spy)) {
      c.read();
    }
    assertThat(seen).containsExactly(0x20, 3);
  }

  @Test
  void aPacketBeforeConnAckFailsTheRead() throws Exception {
    int port = serve(b(0xD0, 0x00)); // PINGRESP, well-formed but out of turn
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V3_1_1)) {
      assertThatThrownBy(c::read)
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("broke a rule of the connection")
          .hasMessageContaining("[MQTT-3.2.0-1]");
    }
  }

  @Test
  void theClientsMaximumPacketSizeFromItsConnectBinds() throws Exception {
    byte[] connAck = b(0x20, 0x03, 0x00, 0x00, 0x00);
    byte[] publish = b(0x30, 0x06, 0x00, 0x01, 't', 0x00, 'x', 'y'); // 8 bytes in all
    int port = serve(concat(connAck, publish));
    try (RawClient c = RawClient.connect("127.0.0.1", port, MqttVersion.V5)) {
      c.send(
          new Connect(
              MqttVersion.V5,
              "c",
              true,
              0,
              null,
              null,
              null,
              Properties.builder().add(PropertyId.MAXIMUM_PACKET_SIZE, 7L).build()));
      c.read(ConnAck.class);
      assertThatThrownBy(c::read).hasMessageContaining("[MQTT-3.1.2-24]");
    }
  }
}
