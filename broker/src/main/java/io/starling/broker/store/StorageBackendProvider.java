package io.starling.broker.store;

import java.nio.file.Path;

/**
 * Opens a durable {@link StorageBackend}; found with {@link java.util.ServiceLoader}, so that the
 * broker does not depend on the module that implements it ({@code store-rocksdb}).
 */
public interface StorageBackendProvider {
  /** The backend's name, for messages ("rocksdb"). */
  String name();

  /**
   * Opens (creating if needed) the store in {@code dataDir}.
   *
   * @throws StoreCorruptException if what is there cannot be read; the message names the path
   */
  StorageBackend open(Path dataDir) throws StoreCorruptException;
}
