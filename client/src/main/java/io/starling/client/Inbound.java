package io.starling.client;

import io.netty.channel.Channel;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.starling.codec.packet.PubAck;
import io.starling.codec.packet.PubComp;
import io.starling.codec.packet.PubRec;
import io.starling.codec.packet.Publish;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Messages the broker sends us: acknowledged on the event loop, handed to the handlers on the
 * callback executor. A QoS 2 message is handed over once however often the broker resends it before
 * PUBREL (the packet id is remembered until then); the id set is part of the session and is cleared
 * when the broker did not keep the session.
 *
 * <p>Confined to the client's event loop.
 */
final class Inbound {
  private static final InternalLogger LOG = InternalLoggerFactory.getInstance(Inbound.class);

  private final Subscriptions subscriptions;
  private final Consumer<Runnable> callbacks;
  private final Consumer<Message> defaultHandler;
  private final Set<Integer> qos2Received = new HashSet<>();

  Inbound(
      Subscriptions subscriptions, Consumer<Runnable> callbacks, Consumer<Message> defaultHandler) {
    this.subscriptions = subscriptions;
    this.callbacks = callbacks;
    this.defaultHandler = defaultHandler;
  }

  /** A new connection; {@code sessionPresent} false means the broker forgot the QoS 2 state. */
  void connected(boolean sessionPresent) {
    if (!sessionPresent) {
      qos2Received.clear();
    }
  }

  void publish(Channel ch, Publish p) {
    Message m = Wire.message(p, p.topic());
    switch (p.qos()) {
      case AT_MOST_ONCE -> deliver(m);
      case AT_LEAST_ONCE -> {
        deliver(m);
        ch.writeAndFlush(PubAck.of(p.packetId()), ch.voidPromise());
      }
      case EXACTLY_ONCE -> {
        if (qos2Received.add(p.packetId())) {
          deliver(m);
        }
        ch.writeAndFlush(PubRec.of(p.packetId()), ch.voidPromise());
      }
    }
  }

  void pubRel(Channel ch, int packetId) {
    qos2Received.remove(packetId);
    ch.writeAndFlush(PubComp.of(packetId), ch.voidPromise());
  }

  private void deliver(Message m) {
    if (!subscriptions.dispatch(m, this::runCallback)) {
      runCallback(() -> defaultHandler.accept(m));
    }
  }

  private void runCallback(Runnable r) {
    try {
      callbacks.accept(
          () -> {
            try {
              r.run();
            } catch (RuntimeException e) {
              LOG.warn("a message handler failed", e);
            }
          });
    } catch (RejectedExecutionException e) {
      LOG.debug("message dropped: the client is closing");
    }
  }
}
