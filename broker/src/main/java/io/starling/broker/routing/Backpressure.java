package io.starling.broker.routing;

/**
 * Something publishers are filling faster than it empties: a destination event loop's mailbox, or a
 * connected subscriber's queue. A publisher whose message went to one pauses reading from its
 * socket until {@link #whenDrained} calls it back, so the broker slows publishers down to what
 * subscribers take instead of buffering, or dropping, what they cannot.
 */
public interface Backpressure {
  /** Runs {@code resume} (on any thread) once this has drained enough; at once if it has. */
  void whenDrained(Runnable resume);

  /**
   * Whether publishers should still wait (any thread): a paused publisher checks it now and then,
   * as a safety net should a wake-up be missed. The default, for what cannot tell, says no.
   */
  default boolean isCongested() {
    return false;
  }
}
