package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.store.StorageBackend;
import io.starling.broker.store.StoreKind;
import io.starling.broker.store.internal.StoreCodec;
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
import io.starling.store.rocksdb.RocksDbProvider;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Helpers for the tests of sessions' owners and read checks (AclQueueIT, SessionOwnerIT,
 * SessionCapIT): password files, raw 3.1.1 and 5.0 clients with credentials, and a look at what a
 * stopped broker left in its store.
 */
final class OwnerSupport {
  private OwnerSupport() {}

  /** Adds {@code user} to the password file, made with {@code starling passwd} (fast hash). */
  static void passwd(Path file, boolean create, String user, String password) {
    SecuritySupport.passwd(file, 1000, create ? "-c" : "", user, password);
  }

  /** A CONNECT with credentials (null for none). */
  static Connect connect(
      MqttVersion version, String clientId, boolean cleanStart, String user, String password) {
    return new Connect(
        version,
        clientId,
        cleanStart,
        60,
        user,
        password == null ? null : BinaryData.of(password.getBytes(StandardCharsets.UTF_8)),
        null,
        Properties.EMPTY);
  }

  /** Sends CONNECT on a new socket and returns the socket with the CONNACK read. */
  static Connected open(
      int port,
      MqttVersion version,
      String clientId,
      boolean cleanStart,
      String user,
      String password)
      throws IOException {
    RawClient c = RawClient.connect("127.0.0.1", port, version);
    c.send(connect(version, clientId, cleanStart, user, password));
    return new Connected(c, c.read(ConnAck.class));
  }

  /** A raw client and the CONNACK it got. */
  record Connected(RawClient client, ConnAck connAck) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      client.close();
    }
  }

  /** A 3.1.1 client that must be let in; returns it with its session-present flag checked. */
  static RawClient connected(
      int port, String clientId, boolean clean, String user, String password, boolean present)
      throws IOException {
    Connected c = open(port, MqttVersion.V3_1_1, clientId, clean, user, password);
    assertThat(c.connAck().reasonCode()).isEqualTo(ReasonCode.SUCCESS);
    assertThat(c.connAck().sessionPresent()).isEqualTo(present);
    return c.client();
  }

  /** Subscribes at QoS 1 and checks it was granted. */
  static void subscribe(RawClient c, int packetId, String filter) throws IOException {
    c.send(Packets.subscribe(packetId, filter, QoS.AT_LEAST_ONCE));
    SubAck ack = c.read(SubAck.class);
    assertThat(ack.reasonCodes()).as(filter).containsExactly(ReasonCode.GRANTED_QOS_1);
  }

  /**
   * Publishes at QoS 1 and waits for the PUBACK, which with persistence on comes once the copies
   * for persistent subscribers are stored.
   */
  static void publish(RawClient c, String topic, String payload, int packetId) throws IOException {
    c.send(Packets.publish(topic, payload, QoS.AT_LEAST_ONCE, packetId));
    while (true) {
      MqttPacket p = c.read();
      if (p instanceof PubAck a && a.packetId() == packetId) {
        return;
      }
      if (p instanceof Publish pub && pub.qos() != QoS.AT_MOST_ONCE) {
        c.send(PubAck.of(pub.packetId()));
      }
    }
  }

  /** The next PUBLISH (acknowledged), or null if none comes within {@code wait}. */
  static Publish nextPublish(RawClient c, Duration wait) throws IOException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      MqttPacket p;
      try {
        p = c.read(Duration.ofNanos(left));
      } catch (SocketTimeoutException e) {
        return null;
      }
      if (p instanceof Publish pub) {
        if (pub.qos() != QoS.AT_MOST_ONCE) {
          c.send(PubAck.of(pub.packetId()));
        }
        return pub;
      }
    }
  }

  /** The topics of every message copy queued in the store of a stopped broker, in key order. */
  static List<String> queuedTopics(Path dataDir) throws Exception {
    List<String> topics = new ArrayList<>();
    try (StorageBackend store = new RocksDbProvider().open(dataDir)) {
      store.scan(
          StoreKind.QUEUE,
          new byte[0],
          (k, v) -> {
            topics.add(StoreCodec.message(v).topic());
            return true;
          });
    }
    return topics;
  }
}
