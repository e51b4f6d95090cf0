package io.starling.broker;

import io.starling.broker.config.BrokerStartException;
import io.starling.broker.config.PersistenceConfig;
import io.starling.broker.store.StorageBackend;
import io.starling.broker.store.StorageBackendProvider;
import io.starling.broker.store.StoreCorruptException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the durable store named by the {@code persistence} config, through the {@link
 * StorageBackendProvider} on the class path (RocksDB, module {@code store-rocksdb}): the broker
 * itself does not depend on it.
 */
final class BrokerStorage {
  private static final Logger log = LoggerFactory.getLogger(BrokerStorage.class);

  private BrokerStorage() {}

  static StorageBackend open(PersistenceConfig config) throws BrokerStartException {
    Iterator<StorageBackendProvider> it =
        ServiceLoader.load(StorageBackendProvider.class, BrokerStorage.class.getClassLoader())
            .iterator();
    if (!it.hasNext()) {
      throw new BrokerStartException(
          "persistence is on but no store is on the class path (module store-rocksdb)",
          new IllegalStateException("no StorageBackendProvider"));
    }
    StorageBackendProvider provider = it.next();
    Path dir = config.dataDir();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new BrokerStartException(
          "cannot create the data directory " + dir + " (persistence.data_dir): " + e, e);
    }
    try {
      return provider.open(dir);
    } catch (StoreCorruptException e) {
      if (!config.forceStart()) {
        throw new BrokerStartException(
            e.getMessage()
                + "; the broker did not start (start it with --force-start to move the data"
                + " aside and start empty)",
            e);
      }
    }
    // Forced: keep the unreadable data where an operator can look at it, and start empty.
    String stamp =
        DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
            .withZone(ZoneOffset.UTC)
            .format(Instant.now());
    Path aside = dir.resolveSibling(dir.getFileName() + ".unreadable-" + stamp);
    try {
      Files.move(dir, aside);
      Files.createDirectories(dir);
      log.error(
          "the store in {} could not be read: moved to {}, starting empty (force start)",
          dir,
          aside);
      return provider.open(dir);
    } catch (IOException | StoreCorruptException e) {
      throw new BrokerStartException("cannot move the unreadable store " + dir + " aside: " + e, e);
    }
  }
}
