package io.starling.broker.store;

/** Stored data cannot be read (corrupt, or written by something else); the message names where. */
public final class StoreCorruptException extends Exception {
  private static final long serialVersionUID = 1L;

  public StoreCorruptException(String message) {
    super(message);
  }

  public StoreCorruptException(String message, Throwable cause) {
    super(message, cause);
  }
}
