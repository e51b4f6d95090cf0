package io.starling.loadgen;

import io.netty.buffer.ByteBuf;

/**
 * The load tool's payloads:
 *
 * <pre>
 *   bytes 0-3    publisher index
 *   bytes 4-11   sequence number, from 0, per publisher
 *   bytes 12-19  System.nanoTime() when sent (same process as the receiver)
 *   bytes 20-    padding up to the payload size
 * </pre>
 *
 * Payloads shorter than {@link #HEADER} carry padding only and are counted, not tracked.
 */
final class Payloads {
  static final int HEADER = 20;

  private Payloads() {}

  /** Appends a payload of {@code size} bytes to {@code b}. */
  static void write(ByteBuf b, int size, int publisher, long seq) {
    if (size >= HEADER) {
      b.writeInt(publisher).writeLong(seq).writeLong(System.nanoTime());
      b.writeZero(size - HEADER);
    } else {
      b.writeZero(size);
    }
  }

  static int publisher(ByteBuf b) {
    return b.getInt(b.readerIndex());
  }

  static long seq(ByteBuf b) {
    return b.getLong(b.readerIndex() + 4);
  }

  static long sentNanos(ByteBuf b) {
    return b.getLong(b.readerIndex() + 12);
  }
}
