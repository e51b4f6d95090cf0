package io.starling.store.rocksdb;

import io.starling.broker.store.StorageBackend;
import io.starling.broker.store.StoreCorruptException;
import io.starling.broker.store.StoreKind;
import io.starling.broker.store.StoreOp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The broker's store on RocksDB: one column family per {@link StoreKind}, every batch of changes
 * one atomic {@link WriteBatch}, synced to the write-ahead log when the broker asks ({@code sync}
 * durability: group commit, one fsync per batch) or every flush interval ({@code periodic}).
 * Paranoid checks are on, so that a damaged file stops the open with an error naming the directory
 * rather than serving wrong data.
 *
 * <p>Threading: as {@link StorageBackend} says, one storage thread writes; RocksDB itself is
 * thread-safe.
 */
public final class RocksDbBackend implements StorageBackend {
  static {
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final RocksDB db;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final List<ColumnFamilyHandle> handles;
  private final Map<StoreKind, ColumnFamilyHandle> families = new EnumMap<>(StoreKind.class);
  private final WriteOptions syncWrite = new WriteOptions().setSync(true);
  private final WriteOptions plainWrite = new WriteOptions().setSync(false);
  private boolean closed;

  private RocksDbBackend(
      Path dir,
      RocksDB db,
      DBOptions dbOptions,
      ColumnFamilyOptions cfOptions,
      List<ColumnFamilyHandle> handles) {
    this.dir = dir;
    this.db = db;
    this.dbOptions = dbOptions;
    this.cfOptions = cfOptions;
    this.handles = handles;
    for (StoreKind k : StoreKind.values()) {
      families.put(k, handles.get(k.ordinal() + 1)); // 0 is RocksDB's "default"
    }
  }

  /**
   * Opens (or creates) the store in {@code dir}.
   *
   * @throws StoreCorruptException if RocksDB cannot open what is there; the message names {@code
   *     dir}
   */
  public static RocksDbBackend open(Path dir) throws StoreCorruptException {
    DBOptions dbOptions =
        new DBOptions()
            .setCreateIfMissing(true)
            .setCreateMissingColumnFamilies(true)
            .setParanoidChecks(true)
            .setKeepLogFileNum(4);
    ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
    for (StoreKind k : StoreKind.values()) {
      descriptors.add(
          new ColumnFamilyDescriptor(k.storeName().getBytes(StandardCharsets.UTF_8), cfOptions));
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try {
      RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
      return new RocksDbBackend(dir, db, dbOptions, cfOptions, handles);
    } catch (RocksDBException e) {
      dbOptions.close();
      cfOptions.close();
      throw new StoreCorruptException(
          "cannot open the RocksDB store in " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String location() {
    return dir.toString();
  }

  @Override
  public void write(List<StoreOp> ops, boolean sync) throws IOException {
    try (WriteBatch batch = new WriteBatch()) {
      for (StoreOp op : ops) {
        ColumnFamilyHandle cf = families.get(op.kind());
        switch (op.type()) {
          case PUT -> batch.put(cf, op.key(), op.value());
          case DELETE -> batch.delete(cf, op.key());
          case DELETE_PREFIX -> {
            byte[] end = StoreOp.prefixEnd(op.key());
            if (end == null) {
              throw new IllegalArgumentException("a prefix of 0xFF bytes only");
            }
            batch.deleteRange(cf, op.key(), end);
          }
        }
      }
      db.write(sync ? syncWrite : plainWrite, batch);
    } catch (RocksDBException e) {
      throw new IOException("RocksDB write in " + dir + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void sync() throws IOException {
    try {
      db.flushWal(true);
    } catch (RocksDBException e) {
      throw new IOException("RocksDB WAL sync in " + dir + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void scan(StoreKind kind, byte[] prefix, Visitor visitor) throws IOException {
    try (ReadOptions ro = new ReadOptions().setVerifyChecksums(true);
        RocksIterator it = db.newIterator(families.get(kind), ro)) {
      for (it.seek(prefix); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (!startsWith(key, prefix) || !visitor.visit(key, it.value())) {
          break;
        }
      }
      it.status();
    } catch (RocksDBException e) {
      throw new IOException("RocksDB read in " + dir + " failed: " + e.getMessage(), e);
    }
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
      db.flushWal(true);
      db.flush(fo, handles);
    } catch (RocksDBException e) {
      // The WAL has everything; a failed memtable flush only means a longer replay next time.
    }
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    db.close();
    syncWrite.close();
    plainWrite.close();
    dbOptions.close();
    cfOptions.close();
  }
}
