package io.starling.client.internal;

import java.util.BitSet;

/** Packet identifiers 1 to 65535 in use on a client; confined to the client's event loop. */
public final class PacketIds {
  private final BitSet used = new BitSet(65_536);
  private int next = 1;

  /** A free identifier, marked used; 0 if all 65,535 are in use. */
  public int allocate() {
    for (int i = 0; i < 65_535; i++) {
      int id = next;
      next = next == 65_535 ? 1 : next + 1;
      if (!used.get(id)) {
        used.set(id);
        return id;
      }
    }
    return 0;
  }

  public void release(int id) {
    used.clear(id);
  }
}
