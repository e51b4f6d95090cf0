package io.starling.broker.store.internal;

import io.starling.broker.store.StorageBackend;
import io.starling.broker.store.StoreKind;
import io.starling.broker.store.StoreOp;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A {@link StorageBackend} in memory: what a broker keeps "on disk" survives {@code Broker.close()}
 * and a new broker started on the same instance, but not the process. For tests of restart
 * behaviour without a disk. Thread-safe.
 */
public final class InMemoryBackend implements StorageBackend {
  private final Map<StoreKind, NavigableMap<byte[], byte[]>> spaces =
      new EnumMap<>(StoreKind.class);

  public InMemoryBackend() {
    for (StoreKind k : StoreKind.values()) {
      spaces.put(k, new TreeMap<>(Arrays::compareUnsigned));
    }
  }

  @Override
  public String location() {
    return "memory";
  }

  @Override
  public synchronized void write(List<StoreOp> ops, boolean sync) {
    for (StoreOp op : ops) {
      NavigableMap<byte[], byte[]> space = spaces.get(op.kind());
      switch (op.type()) {
        case PUT -> space.put(op.key(), op.value());
        case DELETE -> space.remove(op.key());
        case DELETE_PREFIX -> prefixed(space, op.key()).clear();
      }
    }
  }

  @Override
  public void sync() {}

  @Override
  public synchronized void scan(StoreKind kind, byte[] prefix, Visitor visitor) {
    for (Map.Entry<byte[], byte[]> e : prefixed(spaces.get(kind), prefix).entrySet()) {
      if (!visitor.visit(e.getKey(), e.getValue())) {
        return;
      }
    }
  }

  /** Replaces a record's value as is (tests of corrupt data). */
  public synchronized void corrupt(StoreKind kind, byte[] key, byte[] value) {
    spaces.get(kind).put(key, value);
  }

  /** The number of records of {@code kind} (tests). */
  public synchronized int size(StoreKind kind) {
    return spaces.get(kind).size();
  }

  private static NavigableMap<byte[], byte[]> prefixed(
      NavigableMap<byte[], byte[]> space, byte[] prefix) {
    if (prefix.length == 0) {
      return space;
    }
    byte[] end = StoreOp.prefixEnd(prefix);
    return end == null ? space.tailMap(prefix, true) : space.subMap(prefix, true, end, false);
  }

  @Override
  public void close() {}
}
