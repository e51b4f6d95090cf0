package io.starling.broker.store;

import io.starling.broker.store.internal.StoreCodec;

/**
 * The kinds of records the broker stores, one key space (a RocksDB column family) each. Keys that
 * belong to a session start with {@link StoreCodec#sessionKey}, so a session's records are
 * contiguous and, for {@link #QUEUE} and {@link #INFLIGHT}, ordered by sequence number.
 */
public enum StoreKind {
  /** client id to expiry interval and disconnection time. */
  SESSIONS("sessions"),
  /** client id + filter to subscription options. */
  SUBSCRIPTIONS("subscriptions"),
  /** client id + sequence number to a message queued or in flight to that session. */
  QUEUE("queue"),
  /** client id + sequence number to the packet id (and PUBREL state) of a message in flight. */
  INFLIGHT("inflight"),
  /** client id + packet id of an inbound QoS 2 message not yet released. */
  INBOUND_QOS2("inbound_qos2"),
  /** topic to retained message. */
  RETAINED("retained"),
  /** client id to a will waiting for its delay, and when it is due. */
  WILLS("wills");

  private final String storeName;

  StoreKind(String storeName) {
    this.storeName = storeName;
  }

  /** The name of the key space on disk (a RocksDB column family name). */
  public String storeName() {
    return storeName;
  }
}
