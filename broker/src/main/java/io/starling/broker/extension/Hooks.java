package io.starling.broker.extension;

import io.starling.broker.model.Message;
import io.starling.broker.threading.AnyThread;
import io.starling.codec.QoS;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hooks plugged into one broker, fixed at start-up and immutable: read from every event loop
 * without a lock. Each kind runs its hooks in the order given; a call site tests {@code has...()}
 * (a field read) before building anything, so that a broker with no extensions pays nothing else.
 *
 * <p>A hook that throws is logged and skipped: the message goes on as that hook received it. An
 * extension never takes a connection, or the broker, down.
 */
@AnyThread
public final class Hooks {
  private static final Logger log = LoggerFactory.getLogger(Hooks.class);

  /** No extensions. */
  public static final Hooks NONE = new Hooks(List.of(), List.of(), List.of(), List.of());

  private final InboundPublishHook[] inbound;
  private final NoSubscriberHook[] noSubscriber;
  private final DeliveryHook[] delivery;
  private final LifecycleListener[] lifecycle;

  public Hooks(
      List<InboundPublishHook> inbound,
      List<NoSubscriberHook> noSubscriber,
      List<DeliveryHook> delivery,
      List<LifecycleListener> lifecycle) {
    this.inbound = inbound.toArray(InboundPublishHook[]::new);
    this.noSubscriber = noSubscriber.toArray(NoSubscriberHook[]::new);
    this.delivery = delivery.toArray(DeliveryHook[]::new);
    this.lifecycle = lifecycle.toArray(LifecycleListener[]::new);
  }

  public boolean hasInboundPublish() {
    return inbound.length > 0;
  }

  public boolean hasNoSubscriber() {
    return noSubscriber.length > 0;
  }

  public boolean hasDelivery() {
    return delivery.length > 0;
  }

  public boolean hasLifecycle() {
    return lifecycle.length > 0;
  }

  /** Runs the inbound-publish hooks in order; the first refusal ends the chain. */
  public PublishVerdict inboundPublish(String clientId, String username, Message message) {
    PublishVerdict v = PublishVerdict.pass(message);
    for (InboundPublishHook h : inbound) {
      try {
        PublishVerdict next = h.onInboundPublish(clientId, username, v.message());
        if (next != null) {
          v = next;
        }
      } catch (RuntimeException e) {
        failed(h, e);
      }
      if (v.isRefused()) {
        return v;
      }
    }
    return v;
  }

  /** Hands a message nobody subscribed to, to every no-subscriber hook. */
  public void noSubscriber(Message message) {
    for (NoSubscriberHook h : noSubscriber) {
      try {
        h.onNoSubscriber(message);
      } catch (RuntimeException e) {
        failed(h, e);
      }
    }
  }

  /** Runs the delivery hooks in order; {@code null} (skip) ends the chain. */
  public Message delivery(String subscriberClientId, Message message, QoS qos) {
    Message m = message;
    for (DeliveryHook h : delivery) {
      try {
        m = h.onDelivery(subscriberClientId, m, qos);
      } catch (RuntimeException e) {
        failed(h, e);
      }
      if (m == null) {
        return null;
      }
    }
    return m;
  }

  /** Tells every lifecycle listener, in order; one that throws is logged and skipped. */
  public void lifecycle(java.util.function.Consumer<LifecycleListener> event) {
    for (LifecycleListener l : lifecycle) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        failed(l, e);
      }
    }
  }

  private static void failed(Object hook, RuntimeException e) {
    log.warn("extension hook {} failed; going on without it", hook.getClass().getName(), e);
  }
}
