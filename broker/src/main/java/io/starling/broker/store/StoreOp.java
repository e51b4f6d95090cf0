package io.starling.broker.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * One change to the store: put a record, delete one, or delete every record whose key starts with a
 * prefix (a session's records). Immutable; the arrays are not copied and must not be changed.
 *
 * @param type what to do
 * @param kind which key space
 * @param key the key, or the prefix for {@link Type#DELETE_PREFIX}
 * @param value the value for {@link Type#PUT}, otherwise {@code null}
 */
public record StoreOp(Type type, StoreKind kind, byte[] key, byte[] value) {
  /** What an operation does. */
  public enum Type {
    PUT,
    DELETE,
    DELETE_PREFIX
  }

  public StoreOp {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(key, "key");
  }

  public static StoreOp put(StoreKind kind, byte[] key, byte[] value) {
    return new StoreOp(Type.PUT, kind, key, Objects.requireNonNull(value, "value"));
  }

  public static StoreOp delete(StoreKind kind, byte[] key) {
    return new StoreOp(Type.DELETE, kind, key, null);
  }

  public static StoreOp deletePrefix(StoreKind kind, byte[] prefix) {
    return new StoreOp(Type.DELETE_PREFIX, kind, prefix, null);
  }

  /**
   * The first key after every key starting with {@code prefix} (the exclusive end of a {@link
   * Type#DELETE_PREFIX} range), or null if there is none (the prefix is all 0xFF bytes).
   */
  public static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xFF) {
        end[i]++;
        return Arrays.copyOf(end, i + 1);
      }
    }
    return null;
  }
}
