package io.starling.client;

import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A blocking face of {@link MqttClient}, for scripts and tests: every call waits for its outcome
 * (at most {@code timeout}) and throws {@link MqttClientException} on failure. Messages of {@link
 * #subscribe(String, QoS)} are queued for {@link #receive(Duration)}. Thread-safe; do not call it
 * from a message handler.
 */
public final class BlockingMqttClient implements AutoCloseable {
  private final MqttClient client;
  private final Duration timeout;
  private final BlockingQueue<Message> received = new LinkedBlockingQueue<>();

  /**
   * @param client the client to drive
   * @param timeout the longest any one call waits
   */
  public BlockingMqttClient(MqttClient client, Duration timeout) {
    this.client = client;
    this.timeout = timeout;
  }

  /** A blocking client built by {@code builder}, waiting at most 10 s per call. */
  public static BlockingMqttClient of(MqttClientBuilder builder) {
    return new BlockingMqttClient(builder.build(), Duration.ofSeconds(10));
  }

  /** The asynchronous client underneath. */
  public MqttClient async() {
    return client;
  }

  public ConnectResult connect() {
    return await(client.connect());
  }

  public ReasonCode publish(Message message) {
    return await(client.publish(message));
  }

  public ReasonCode publish(String topic, String payload, QoS qos) {
    return await(client.publish(topic, payload, qos));
  }

  /** Subscribes; the messages wait for {@link #receive(Duration)}. */
  public List<ReasonCode> subscribe(String filter, QoS qos) {
    return await(client.subscribe(filter, qos, received::add));
  }

  public List<ReasonCode> unsubscribe(String... filters) {
    return await(client.unsubscribe(filters));
  }

  /** The next received message, or {@code null} if none arrives within {@code wait}. */
  public Message receive(Duration wait) throws InterruptedException {
    return received.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Sends a request and waits for its response (MQTT 5.0). */
  public Message request(Message request) {
    return await(client.request(request, timeout));
  }

  public void disconnect() {
    await(client.disconnect());
  }

  @Override
  public void close() {
    client.close();
  }

  private <T> T await(CompletableFuture<T> f) {
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new MqttClientException("operation failed", c);
    } catch (TimeoutException e) {
      throw new MqttClientException("no outcome within " + timeout.toMillis() + " ms", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MqttClientException("interrupted", e);
    }
  }
}
