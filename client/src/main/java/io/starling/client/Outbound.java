package io.starling.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.starling.client.internal.PacketIds;
import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.PubRel;
import io.starling.codec.packet.Publish;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Our outgoing messages: a bounded queue of messages not yet sent (the offline buffer, also used
 * while the in-flight window is full) and the QoS 1/2 messages sent but not yet acknowledged, in
 * the order they were first sent. On every new connection the unacknowledged ones are sent again
 * first, in order, with DUP set (or their PUBREL, when PUBREC had arrived) [MQTT-4.4.0-1].
 *
 * <p>Confined to the client's event loop.
 */
final class Outbound {
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final LinkedHashMap<Integer, InFlight> inFlight = new LinkedHashMap<>();
  private final Map<String, Integer> aliases = new HashMap<>();
  private final PacketIds ids;
  private final int bufferLimit;
  private final int clientMaxInflight;
  private MqttVersion version;
  private Channel channel;
  private int window;
  private int aliasMaximum;
  private long maxPacketBytes = Long.MAX_VALUE;

  Outbound(PacketIds ids, int bufferLimit, int clientMaxInflight) {
    this.ids = ids;
    this.bufferLimit = bufferLimit;
    this.clientMaxInflight = clientMaxInflight;
  }

  /** Queues a message and sends what the window allows. */
  void submit(Message m, CompletableFuture<ReasonCode> done) {
    if (queue.size() >= bufferLimit) {
      done.completeExceptionally(
          new MqttClientException(
              "offline buffer full ("
                  + bufferLimit
                  + " messages); message to "
                  + m.topic()
                  + " not queued",
              null,
              null));
      return;
    }
    queue.add(new Pending(m, done));
    drain();
    flush();
  }

  /**
   * A connection is ready: resend the unacknowledged messages in order, then the queue.
   *
   * @param receiveMaximum the broker's Receive Maximum (65535 when it sent none)
   * @param topicAliasMaximum the broker's Topic Alias Maximum (0: no aliases)
   * @param maxPacketBytes the broker's Maximum Packet Size
   */
  void connected(
      Channel ch, MqttVersion v, int receiveMaximum, int topicAliasMaximum, long maxPacketBytes) {
    this.channel = ch;
    this.version = v;
    this.window = Math.min(clientMaxInflight, receiveMaximum);
    this.aliasMaximum = topicAliasMaximum;
    this.maxPacketBytes = maxPacketBytes;
    aliases.clear();
    for (InFlight f : inFlight.values()) {
      if (f.released) {
        ch.write(PubRel.of(f.packetId), ch.voidPromise());
      } else {
        ch.write(Wire.publish(f.message, v, f.packetId, true, 0, true), ch.voidPromise());
      }
    }
    drain();
    ch.flush();
  }

  /** The connection is gone; keep everything for the next one. */
  void disconnected() {
    channel = null;
  }

  /** Fails everything pending: the client is closing or will not reconnect. */
  void failAll(MqttClientException e) {
    for (InFlight f : inFlight.values()) {
      ids.release(f.packetId);
      f.done.completeExceptionally(e);
    }
    inFlight.clear();
    for (Pending p : queue) {
      p.done.completeExceptionally(e);
    }
    queue.clear();
  }

  /** PUBACK, or PUBCOMP: the message is done. */
  void completed(int packetId, ReasonCode code, String reasonString) {
    InFlight f = inFlight.remove(packetId);
    if (f == null) {
      return; // an acknowledgement for a message we no longer hold: nothing to do
    }
    ids.release(packetId);
    finish(f.done, f.message, code, reasonString);
    drain();
    flush();
  }

  /** PUBREC: answer with PUBREL, or drop the message if the broker refused it. */
  void received(int packetId, ReasonCode code, String reasonString) {
    InFlight f = inFlight.get(packetId);
    if (code.isError()) {
      completed(packetId, code, reasonString);
      return;
    }
    if (f != null) {
      f.released = true;
    }
    // Answer even an unknown id (a lost session), so that the broker can end its own state.
    if (channel != null) {
      channel.writeAndFlush(PubRel.of(packetId), channel.voidPromise());
    }
  }

  int inFlightCount() {
    return inFlight.size();
  }

  int queuedCount() {
    return queue.size();
  }

  private void drain() {
    Channel ch = channel;
    while (ch != null && !queue.isEmpty()) {
      Pending p = queue.peek();
      boolean acked = p.message.qos() != QoS.AT_MOST_ONCE;
      if (acked && inFlight.size() >= window) {
        break; // flow control: the broker's Receive Maximum [MQTT-4.9.0-2]
      }
      int id = acked ? ids.allocate() : 0;
      if (acked && id == 0) {
        break; // all 65,535 ids in use: wait for an acknowledgement
      }
      queue.poll();
      if (tooLarge(p)) {
        ids.release(id);
        continue;
      }
      if (!acked) {
        Publish pub = withAlias(p.message, 0);
        CompletableFuture<ReasonCode> done = p.done;
        ch.write(pub)
            .addListener(
                (ChannelFutureListener)
                    cf -> {
                      if (cf.isSuccess()) {
                        done.complete(ReasonCode.SUCCESS);
                      } else {
                        done.completeExceptionally(
                            new MqttClientException("QoS 0 message not sent", cf.cause()));
                      }
                    });
        continue;
      }
      inFlight.put(id, new InFlight(p.message, id, p.done));
      ch.write(withAlias(p.message, id), ch.voidPromise());
    }
  }

  private boolean tooLarge(Pending p) {
    long estimate = 5L + 2 + p.message.topic().length() * 3L + 2 + p.message.payload().length;
    if (estimate <= maxPacketBytes) {
      return false;
    }
    p.done.completeExceptionally(
        new MqttClientException(
            "message to " + p.message.topic() + " is larger than the broker's maximum packet size",
            ReasonCode.PACKET_TOO_LARGE,
            null));
    return true;
  }

  /** The PUBLISH to write, with a topic alias when the broker allows them (MQTT 5.0). */
  private Publish withAlias(Message m, int packetId) {
    if (aliasMaximum == 0 || !version.isV5()) {
      return Wire.publish(m, version, packetId, false, 0, true);
    }
    Integer alias = aliases.get(m.topic());
    if (alias != null) {
      return Wire.publish(m, version, packetId, false, alias, false);
    }
    if (aliases.size() < aliasMaximum) {
      int a = aliases.size() + 1;
      aliases.put(m.topic(), a);
      return Wire.publish(m, version, packetId, false, a, true);
    }
    return Wire.publish(m, version, packetId, false, 0, true);
  }

  private void flush() {
    if (channel != null) {
      channel.flush();
    }
  }

  static void finish(
      CompletableFuture<ReasonCode> done, Message m, ReasonCode code, String reasonString) {
    if (code.isError()) {
      done.completeExceptionally(
          new MqttClientException("broker refused message to " + m.topic(), code, reasonString));
    } else {
      done.complete(code);
    }
  }

  private record Pending(Message message, CompletableFuture<ReasonCode> done) {}

  private static final class InFlight {
    final Message message;
    final int packetId;
    final CompletableFuture<ReasonCode> done;
    boolean released;

    InFlight(Message message, int packetId, CompletableFuture<ReasonCode> done) {
      this.message = message;
      this.packetId = packetId;
      this.done = done;
    }
  }
}
