package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.codec.ReasonCode;
import io.starling.codec.packet.ConnAck;
import io.starling.codec.packet.PingReq;
import io.starling.codec.packet.PingResp;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker never allocates the size a client announces: 400 connections each announce a PUBLISH
 * of 1 MiB (the default {@code limits.max_packet_size}) and send 10 bytes of it. Were the announced
 * size allocated, that would be 400 MiB: more than the broker process has heap or direct memory
 * (256 MiB each), so it would die, close the connections, or grow its resident memory by that much.
 * It must do none of these: memory follows the bytes received, not the bytes announced.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PartialPacketMemoryIT {
  private static final int CONNECTIONS = 400;
  private static final int ANNOUNCED = 1 << 20;

  @TempDir Path dir;

  @Test
  void announcingLargePacketsAndSendingTenBytesCostsWhatWasSentNotWhatWasAnnounced()
      throws Exception {
    Path config = dir.resolve("starling.yaml");
    Files.writeString(config, "sys:\n  interval_seconds: 0\n", StandardCharsets.UTF_8);
    int port = freePort();
    List<RawClient> clients = new ArrayList<>(CONNECTIONS);
    try (BrokerProcess broker =
        BrokerProcess.start(
            Duration.ofSeconds(60),
            List.of(
                "-Xmx256m", "-XX:+AlwaysPreTouch", "-XX:MaxDirectMemorySize=256m", "-XX:+UseG1GC"),
            "--port",
            Integer.toString(port),
            "--config",
            config.toString())) {
      assertThat(broker.isAlive()).as("broker output:%n%s", broker).isTrue();
      for (int i = 0; i < CONNECTIONS; i++) {
        RawClient c = RawClient.connect(port);
        clients.add(c);
        c.send(Packets.connect(ItSupport.uniqueId("partial"), true));
        assertThat(c.read(ConnAck.class).reasonCode()).isEqualTo(ReasonCode.SUCCESS);
      }
      roundTrips(port);
      long before = rss(broker);

      // PUBLISH QoS 0, remaining length 1 MiB minus its 5-byte fixed header (within the limit),
      // then 10 bytes of its body: the topic "a/b" and 5 bytes of payload.
      byte[] partial = {
        0x30,
        (byte) 0xFB,
        (byte) 0xFF,
        0x3F, // 0x30, then 1,048,571 as a variable byte integer
        0x00,
        0x03,
        'a',
        '/',
        'b',
        1,
        2,
        3,
        4,
        5
      };
      assertThat(varInt(partial, 1) + 4).isEqualTo(ANNOUNCED - 1);
      for (RawClient c : clients) {
        c.send(partial);
      }
      // Connections opened after the partial packets are answered once the event loops have read
      // what came before them.
      try {
        roundTrips(port);
      } catch (IOException e) {
        throw new AssertionError(
            String.format(
                "the broker stopped answering new clients after the partial packets"
                    + " (resident memory grew %d MiB); output:%n%s",
                (rss(broker) - before) >> 20, broker),
            e);
      }
      long grown = rss(broker) - before;

      assertThat(broker.isAlive()).as("broker output:%n%s", broker).isTrue();
      for (RawClient c : clients) {
        assertThat(c.isClosedWithin(Duration.ofMillis(5)))
            .as("a connection waiting for the rest of its packet stays open")
            .isFalse();
      }
      assertThat(grown)
          .as(
              "resident memory grew %d KiB for %d connections (%d bytes each)",
              grown >> 10, CONNECTIONS, grown / CONNECTIONS)
          .isLessThan((long) CONNECTIONS * ANNOUNCED / 16);
    } finally {
      for (RawClient c : clients) {
        c.close();
      }
    }
  }

  /** A few fresh connections each get a PINGRESP: the event loops have read what came before. */
  private static void roundTrips(int port) throws IOException {
    for (int i = 0; i < 8; i++) {
      try (RawClient c = RawClient.connect(port)) {
        c.send(Packets.connect(ItSupport.uniqueId("probe"), true));
        c.read(ConnAck.class);
        c.send(PingReq.INSTANCE);
        c.read(PingResp.class);
      }
    }
  }

  private static int varInt(byte[] b, int at) {
    int value = 0;
    for (int shift = 0; ; shift += 7) {
      int x = b[at++] & 0xFF;
      value |= (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        return value;
      }
    }
  }

  /** The broker process's resident memory, from {@code /proc/PID/status}, in bytes. */
  private static long rss(BrokerProcess broker) throws IOException {
    String text = Files.readString(Path.of("/proc", Long.toString(broker.pid()), "status"));
    Matcher m = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB").matcher(text);
    assertThat(m.find()).as("VmRSS in /proc/%d/status", broker.pid()).isTrue();
    return Long.parseLong(m.group(1)) << 10;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
