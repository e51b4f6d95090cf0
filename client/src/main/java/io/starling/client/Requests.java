package io.starling.client;

import io.starling.codec.QoS;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The request/response helper: one response topic per client, subscribed on first use, and a map
 * from correlation data to the waiting future. Thread-safe.
 */
final class Requests {
  private final MqttClient client;
  private final String responseTopic = "starling/responses/" + UUID.randomUUID();
  private final Map<ByteBuffer, CompletableFuture<Message>> waiting = new ConcurrentHashMap<>();
  private volatile CompletableFuture<?> subscribed;

  Requests(MqttClient client) {
    this.client = client;
  }

  CompletableFuture<Message> send(Message request) {
    byte[] correlation = uuidBytes();
    ByteBuffer key = ByteBuffer.wrap(correlation);
    CompletableFuture<Message> response = new CompletableFuture<>();
    waiting.put(key, response);
    response.whenComplete((m, e) -> waiting.remove(key));
    Message withReply =
        request.toBuilder().responseTopic(responseTopic).correlationData(correlation).build();
    subscription()
        .thenCompose(ok -> client.publish(withReply))
        .whenComplete(
            (ok, e) -> {
              if (e != null) {
                response.completeExceptionally(e);
              }
            });
    return response;
  }

  private synchronized CompletableFuture<?> subscription() {
    if (subscribed == null || subscribed.isCompletedExceptionally()) {
      subscribed = client.subscribe(responseTopic, QoS.AT_LEAST_ONCE, this::responded);
    }
    return subscribed;
  }

  private void responded(Message m) {
    if (m.correlationData() != null) {
      CompletableFuture<Message> f = waiting.get(ByteBuffer.wrap(m.correlationData()));
      if (f != null) {
        f.complete(m);
      }
    }
  }

  private static byte[] uuidBytes() {
    UUID u = UUID.randomUUID();
    return ByteBuffer.allocate(16)
        .putLong(u.getMostSignificantBits())
        .putLong(u.getLeastSignificantBits())
        .array();
  }
}
