package io.starling.store.rocksdb;

import io.starling.broker.store.StorageBackend;
import io.starling.broker.store.StorageBackendProvider;
import io.starling.broker.store.StoreCorruptException;
import java.nio.file.Path;

/** Makes RocksDB the broker's durable store; registered for {@link java.util.ServiceLoader}. */
public final class RocksDbProvider implements StorageBackendProvider {
  @Override
  public String name() {
    return "rocksdb";
  }

  @Override
  public StorageBackend open(Path dataDir) throws StoreCorruptException {
    return RocksDbBackend.open(dataDir);
  }
}
