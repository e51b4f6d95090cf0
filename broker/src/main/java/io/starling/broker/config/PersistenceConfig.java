package io.starling.broker.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The {@code persistence} section: whether the broker keeps its state on disk, where, and how
 * durably.
 *
 * @param enabled whether sessions, subscriptions, queued and in-flight messages and retained
 *     messages are stored and restored at start-up
 * @param dataDir the store's directory; {@code null} when persistence is off
 * @param durability when a QoS 1/2 PUBLISH is acknowledged relative to the disk
 * @param flushIntervalMillis for {@link Durability#PERIODIC}: how often the write-ahead log is
 *     synced to disk
 * @param maxOfflineMessages messages kept on disk for offline sessions, all sessions together;
 *     beyond it new messages for offline sessions are dropped (and counted)
 * @param forceStart start even if stored data cannot be read: unreadable records are skipped and
 *     logged, an unreadable store is moved aside; never silently
 */
public record PersistenceConfig(
    boolean enabled,
    Path dataDir,
    Durability durability,
    int flushIntervalMillis,
    long maxOfflineMessages,
    boolean forceStart) {
  public static final PersistenceConfig DISABLED =
      new PersistenceConfig(false, null, Durability.SYNC, 100, 10_000_000, false);

  /** When a QoS 1/2 PUBLISH is acknowledged. */
  public enum Durability {
    /**
     * After its effects are written and the write-ahead log is synced (fsync), with group commit:
     * survives a crash of the process or of the machine.
     */
    SYNC,
    /**
     * After its effects are written to the write-ahead log (the OS has them); the log is synced
     * every {@code flush_interval_ms}: survives a crash of the process, may lose the last interval
     * on power loss.
     */
    PERIODIC
  }

  public PersistenceConfig {
    Objects.requireNonNull(durability, "durability");
    if (enabled && dataDir == null) {
      throw new IllegalArgumentException("persistence.data_dir must be set when persistence is on");
    }
    if (flushIntervalMillis < 1 || flushIntervalMillis > 60_000) {
      throw new IllegalArgumentException("persistence.flush_interval_ms must be 1 to 60000");
    }
    if (maxOfflineMessages < 1) {
      throw new IllegalArgumentException("persistence.max_offline_messages must be at least 1");
    }
  }

  /** Persistence on, in {@code dir}, with the other settings of this one. */
  public PersistenceConfig withDataDir(Path dir) {
    return new PersistenceConfig(
        true, dir, durability, flushIntervalMillis, maxOfflineMessages, forceStart);
  }

  /** A copy that starts even with unreadable data. */
  public PersistenceConfig withForceStart(boolean force) {
    return new PersistenceConfig(
        enabled, dataDir, durability, flushIntervalMillis, maxOfflineMessages, force);
  }

  /** A copy with another durability. */
  public PersistenceConfig withDurability(Durability d) {
    return new PersistenceConfig(
        enabled, dataDir, d, flushIntervalMillis, maxOfflineMessages, forceStart);
  }
}
