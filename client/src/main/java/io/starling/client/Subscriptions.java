package io.starling.client;

import io.netty.channel.Channel;
import io.starling.client.internal.PacketIds;
import io.starling.client.internal.TopicMatcher;
import io.starling.codec.ReasonCode;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.Subscribe;
import io.starling.codec.packet.Subscription;
import io.starling.codec.packet.Unsubscribe;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * This client's subscriptions and their handlers, and the SUBSCRIBE/UNSUBSCRIBE requests awaiting
 * their acknowledgement. Requests made while offline, or lost with a connection, are sent on the
 * next connection; when the broker did not keep our session, every subscription is made again.
 *
 * <p>Confined to the client's event loop.
 */
final class Subscriptions {
  private final LinkedHashMap<String, Entry> active = new LinkedHashMap<>();
  private final Map<Integer, Op> awaitingAck = new HashMap<>();
  private final ArrayDeque<Op> waiting = new ArrayDeque<>();
  private final PacketIds ids;
  private Channel channel;

  Subscriptions(PacketIds ids) {
    this.ids = ids;
  }

  /** Subscribes; handlers receive messages from the moment of the call (retained ones too). */
  void subscribe(
      List<Subscription> subs,
      Consumer<Message> handler,
      CompletableFuture<List<ReasonCode>> done) {
    for (Subscription s : subs) {
      active.put(s.filter(), new Entry(s, handler));
    }
    send(new Op(subs, null, done));
  }

  void unsubscribe(List<String> filters, CompletableFuture<List<ReasonCode>> done) {
    for (String f : filters) {
      active.remove(f);
    }
    send(new Op(null, filters, done));
  }

  /** A connection is ready; resubscribe everything if the broker lost our session. */
  void connected(Channel ch, boolean sessionPresent) {
    this.channel = ch;
    ArrayList<Op> again = new ArrayList<>(waiting);
    waiting.clear();
    if (!sessionPresent) {
      // The requests still waiting cover their own filters (sending those twice would deliver
      // retained messages twice); the rest is made again here.
      Set<String> covered = new HashSet<>();
      for (Op op : again) {
        if (op.subs != null) {
          op.subs.forEach(s -> covered.add(s.filter()));
        }
      }
      List<Subscription> lost = new ArrayList<>();
      for (Entry e : active.values()) {
        if (!covered.contains(e.subscription.filter())) {
          lost.add(e.subscription);
        }
      }
      if (!lost.isEmpty()) {
        send(new Op(lost, null, new CompletableFuture<>()));
      }
    }
    again.forEach(this::send);
  }

  /** The connection is gone: requests without an answer are sent again on the next one. */
  void disconnected() {
    channel = null;
    List<Integer> idsAwaiting = new ArrayList<>(awaitingAck.keySet());
    idsAwaiting.sort(null);
    for (Integer id : idsAwaiting) {
      ids.release(id);
      waiting.add(awaitingAck.remove(id));
    }
  }

  void failAll(MqttClientException e) {
    disconnected();
    for (Op op : waiting) {
      op.done.completeExceptionally(e);
    }
    waiting.clear();
  }

  /** SUBACK or UNSUBACK. */
  void acknowledged(int packetId, List<ReasonCode> codes, Properties props) {
    Op op = awaitingAck.remove(packetId);
    if (op == null) {
      return;
    }
    ids.release(packetId);
    ReasonCode firstError = null;
    for (int i = 0; i < codes.size(); i++) {
      ReasonCode code = codes.get(i);
      if (code.isError()) {
        if (op.subs != null && i < op.subs.size()) {
          active.remove(op.subs.get(i).filter());
        }
        firstError = firstError == null ? code : firstError;
      }
    }
    if (firstError != null) {
      String what = op.subs != null ? "subscription refused" : "unsubscribe refused";
      op.done.completeExceptionally(
          new MqttClientException(
              what, firstError, props.stringValue(PropertyId.REASON_STRING).orElse(null)));
    } else {
      op.done.complete(codes);
    }
  }

  /** Hands a message to every handler whose filter matches; false if none did. */
  boolean dispatch(Message m, Consumer<Runnable> executor) {
    boolean any = false;
    List<Consumer<Message>> seen = new ArrayList<>(2);
    for (Entry e : active.values()) {
      if (TopicMatcher.matches(e.subscription.filter(), m.topic()) && !seen.contains(e.handler)) {
        seen.add(e.handler);
        any = true;
        Consumer<Message> h = e.handler;
        executor.accept(() -> h.accept(m));
      }
    }
    return any;
  }

  private void send(Op op) {
    Channel ch = channel;
    int id = ch == null ? 0 : ids.allocate();
    if (id == 0) {
      waiting.add(op);
      return;
    }
    awaitingAck.put(id, op);
    if (op.subs != null) {
      ch.writeAndFlush(new Subscribe(id, op.subs, Properties.EMPTY), ch.voidPromise());
    } else {
      ch.writeAndFlush(new Unsubscribe(id, op.filters, Properties.EMPTY), ch.voidPromise());
    }
  }

  private record Entry(Subscription subscription, Consumer<Message> handler) {}

  private record Op(
      List<Subscription> subs, List<String> filters, CompletableFuture<List<ReasonCode>> done) {}
}
