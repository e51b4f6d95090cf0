package io.starling.broker.session;

import io.starling.broker.model.Message;
import io.starling.broker.routing.DurableCopies;
import io.starling.broker.routing.Subscriber;
import io.starling.broker.store.internal.Persistence;
import io.starling.broker.threading.AnyThread;
import io.starling.codec.QoS;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Durable storage's part in routing: retained messages, and a copy of each QoS 1/2 message for each
 * session whose state is stored, written on the publisher's loop ahead of its acknowledgement.
 * Which sessions are stored is kept here, in a concurrent set by client identifier, so that
 * publishers' loops never read a session's own (owner-confined) state.
 */
@AnyThread
public final class StoredCopies implements DurableCopies {
  private final Persistence store;
  private final Set<String> stored = ConcurrentHashMap.newKeySet();

  public StoredCopies(Persistence store) {
    this.store = store;
  }

  /** The store. */
  public Persistence store() {
    return store;
  }

  /** Marks whether copies of messages routed to {@code clientId} are stored from now on. */
  void markStored(String clientId, boolean isStored) {
    if (isStored) {
      stored.add(clientId);
    } else {
      stored.remove(clientId);
    }
  }

  @Override
  public void retained(Message m) {
    store.retained(m);
  }

  @Override
  public long storeCopy(
      Subscriber subscriber, Message m, QoS qos, boolean retain, int[] subscriptionIds) {
    String clientId = subscriber.clientId();
    if (qos == QoS.AT_MOST_ONCE || !stored.contains(clientId)) {
      return 0;
    }
    return store.queued(clientId, m, qos, retain, subscriptionIds);
  }
}
