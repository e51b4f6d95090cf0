package io.starling.codec;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * A heap allocator for one test channel that remembers every buffer it made and the largest byte
 * array it ever allocated, growth included. After the channel is done, {@link #unreleased()} names
 * the buffers still holding a reference: a leak, found without waiting for the garbage collector.
 */
final class TrackingAllocator extends AbstractByteBufAllocator {
  private final List<ByteBuf> buffers = new ArrayList<>();
  private int largestArrayBytes;

  TrackingAllocator() {
    super(false);
  }

  @Override
  protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
    ByteBuf buf = new TrackedHeapByteBuf(this, initialCapacity, maxCapacity);
    buffers.add(buf);
    return buf;
  }

  @Override
  protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
    return newHeapBuffer(initialCapacity, maxCapacity);
  }

  @Override
  public boolean isDirectBufferPooled() {
    return false;
  }

  /** A new tracked buffer holding a copy of {@code bytes}. */
  ByteBuf copyOf(byte[] bytes, int from, int to) {
    return heapBuffer(to - from).writeBytes(bytes, from, to - from);
  }

  /** The largest byte array allocated so far, in bytes. */
  int largestArrayBytes() {
    return largestArrayBytes;
  }

  /** How many buffers were made. */
  int bufferCount() {
    return buffers.size();
  }

  /** The buffers whose reference count is not yet zero. */
  List<ByteBuf> unreleased() {
    List<ByteBuf> out = new ArrayList<>();
    for (ByteBuf b : buffers) {
      if (b.refCnt() != 0) {
        out.add(b);
      }
    }
    return out;
  }

  private void noteArray(int bytes) {
    largestArrayBytes = Math.max(largestArrayBytes, bytes);
  }

  private static final class TrackedHeapByteBuf extends UnpooledHeapByteBuf {
    TrackedHeapByteBuf(TrackingAllocator alloc, int initialCapacity, int maxCapacity) {
      super(alloc, initialCapacity, maxCapacity);
    }

    @Override
    protected byte[] allocateArray(int initialCapacity) {
      // Called for the first array and for every capacity change; alloc() is already set.
      ((TrackingAllocator) alloc()).noteArray(initialCapacity);
      return super.allocateArray(initialCapacity);
    }
  }
}
