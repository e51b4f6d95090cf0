package io.starling.codec.packet;

final class Acks {
  private Acks() {}

  static void checkPacketId(int packetId) {
    if (packetId < 1 || packetId > 0xFFFF) {
      throw new IllegalArgumentException("packet id must be 1 to 65535: " + packetId);
    }
  }
}
