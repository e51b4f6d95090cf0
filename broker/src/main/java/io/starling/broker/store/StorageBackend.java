package io.starling.broker.store;

import io.starling.broker.store.internal.InMemoryBackend;
import io.starling.broker.store.internal.StoreCodec;
import java.io.IOException;
import java.util.List;

/**
 * Where the broker's durable state lives: an ordered key-value store with one key space per {@link
 * StoreKind}. The broker decides what the keys and values mean ({@link StoreCodec}); a backend only
 * keeps bytes. Implementations: {@link InMemoryBackend} (tests, throwaway brokers) and RocksDB
 * (module {@code store-rocksdb}, found through {@link StorageBackendProvider}).
 *
 * <p>Threading: the broker calls every method from its one storage thread, except {@link #scan} at
 * start-up (before any write) and {@link #close} after the storage thread stopped.
 */
public interface StorageBackend extends AutoCloseable {
  /** Where the data is (a directory), for messages. */
  String location();

  /**
   * Applies {@code ops} in order, atomically.
   *
   * @param sync whether the write-ahead log is to be on stable storage (fsync) before this returns;
   *     without it the data survives a crash of the process but maybe not of the machine
   */
  void write(List<StoreOp> ops, boolean sync) throws IOException;

  /** Puts what was written so far on stable storage (the periodic durability setting). */
  void sync() throws IOException;

  /** What {@link #scan} calls for each record; returns false to stop. */
  @FunctionalInterface
  interface Visitor {
    boolean visit(byte[] key, byte[] value);
  }

  /**
   * Calls {@code visitor} for every record of {@code kind} whose key starts with {@code prefix}, in
   * key order.
   */
  void scan(StoreKind kind, byte[] prefix, Visitor visitor) throws IOException;

  /** Releases the store; everything written is on disk when this returns. */
  @Override
  void close();
}
