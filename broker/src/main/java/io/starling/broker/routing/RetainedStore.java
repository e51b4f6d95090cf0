package io.starling.broker.routing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.starling.codec.QoS;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Retained messages, one per topic [MQTT-3.3.1-5]: a new one replaces the old, an empty payload
 * clears it [MQTT-3.3.1-10] [MQTT-3.3.1-11]. Payloads are copied into their own heap buffers so a
 * retained message never pins a connection's read buffer. Thread-safe.
 */
public final class RetainedStore {
  /** One retained message; its payload is shared read-only, never released. */
  public record Retained(String topic, QoS qos, ByteBuf payload) {}

  private final Map<String, Retained> byTopic = new ConcurrentHashMap<>();

  /** Stores, replaces or (for an empty payload) clears the message of {@code topic}. */
  public void put(String topic, QoS qos, ByteBuf payload) {
    if (!payload.isReadable()) {
      byTopic.remove(topic);
      return;
    }
    byte[] copy = new byte[payload.readableBytes()];
    payload.getBytes(payload.readerIndex(), copy);
    byTopic.put(topic, new Retained(topic, qos, Unpooled.wrappedBuffer(copy).asReadOnly()));
  }

  /**
   * Calls {@code sink} for every retained message whose topic matches {@code filter}. A linear scan
   * for now; TODO(#9): a retained-message tree for large stores.
   */
  public void match(String filter, Consumer<Retained> sink) {
    if (!Levels.hasWildcard(filter)) {
      Retained r = byTopic.get(filter);
      if (r != null) {
        sink.accept(r);
      }
      return;
    }
    for (Retained r : byTopic.values()) {
      if (Levels.matches(filter, r.topic())) {
        sink.accept(r);
      }
    }
  }

  /** The number of retained messages. */
  public int size() {
    return byTopic.size();
  }
}
