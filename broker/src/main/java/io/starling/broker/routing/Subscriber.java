package io.starling.broker.routing;

import io.netty.channel.EventLoop;
import io.starling.broker.threading.AnyThread;
import io.starling.broker.threading.EventLoopOnly;

/**
 * A destination of deliveries as the router sees it: a local session today; a remote cluster node
 * or an extension may implement it later. The router groups deliveries by {@link #owner()} and
 * hands each loop its batch once; everything marked {@link EventLoopOnly} then runs on that loop.
 */
public interface Subscriber {
  /** The client identifier, compared with a message's origin for no local [MQTT-3.8.3-3]. */
  @AnyThread
  String clientId();

  /** The event loop that owns this subscriber now; it may change while a delivery travels. */
  @AnyThread
  EventLoop owner();

  /** Runs {@code task} on the owner, following the subscriber if ownership moves meanwhile. */
  @AnyThread
  void execute(Runnable task);

  /**
   * Whether a message on {@code topic} may go to this subscriber: its owner's read permission (the
   * ACL, or its credentials' grants). The router asks before it stores a copy or picks a shared
   * member, so a copy the check refuses is never made; the subscriber checks again before it sends.
   */
  @AnyThread
  boolean mayReceive(String topic);

  /** Whether a client is attached (shared subscriptions prefer such members). May lag a moment. */
  @AnyThread
  boolean isOnline();

  /** Whether the subscriber is gone for good (a shared group skips it). May lag a moment. */
  @AnyThread
  boolean isDestroyed();

  /**
   * Whether publishers feeding QoS 1/2 messages to this subscriber should pause; when true, {@link
   * #backpressure()} says when they may go on.
   */
  @AnyThread
  boolean isCongested();

  /** What a paused publisher waits on. */
  @AnyThread
  Backpressure backpressure();

  /** Takes one delivery. Takes no ownership of the payload: retains it if it keeps it. */
  @EventLoopOnly
  void deliver(Delivery delivery);

  /**
   * Notes that this subscriber has writes to flush at the end of a delivery batch; true the first
   * time, so that each subscriber is flushed once per batch.
   */
  @EventLoopOnly
  boolean markForFlush();

  /** Flushes what the deliveries of this batch wrote. */
  @EventLoopOnly
  void flush();
}
