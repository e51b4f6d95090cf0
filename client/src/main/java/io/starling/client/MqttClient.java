package io.starling.client;

import io.starling.codec.MqttVersion;
import io.starling.codec.QoS;
import io.starling.codec.ReasonCode;
import io.starling.codec.Topics;
import io.starling.codec.packet.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An asynchronous MQTT 3.1.1 and 5.0 client. Every method may be called from any thread and returns
 * at once; the client runs on an I/O thread of its own. Message handlers run on the callback
 * executor (by default one thread of the client's own, so they see messages in order and may
 * block).
 *
 * <pre>{@code
 * MqttClient client = MqttClient.builder().host("localhost").build();
 * client.connect().join();
 * client.subscribe("sensors/#", QoS.AT_LEAST_ONCE, m -> System.out.println(m.payloadAsString()));
 * client.publish(Message.of("sensors/t1", "21.5")).join();
 * }</pre>
 *
 * <p>After the first successful {@link #connect()}, a lost connection is re-established with
 * exponential backoff; subscriptions are made again if the broker lost the session, QoS 1/2
 * messages not yet acknowledged are sent again in order with DUP set, and messages published
 * meanwhile wait in a bounded offline buffer. Futures fail with {@link MqttClientException}, which
 * carries the broker's reason code.
 *
 * <p>The futures complete on the client's I/O thread: stages chained to them with {@code thenApply}
 * and friends run there too and must not block (use the {@code ...Async} variants, or {@code
 * join()} from your own thread).
 */
public final class MqttClient implements AutoCloseable {
  private final ClientCore core;
  private final Requests requests;

  MqttClient(ClientConfig config) {
    this.core = new ClientCore(config);
    this.requests = new Requests(this);
  }

  /** A builder with the defaults of {@link MqttClientBuilder}. */
  public static MqttClientBuilder builder() {
    return new MqttClientBuilder();
  }

  /** The protocol version this client speaks. */
  public MqttVersion version() {
    return core.config().version();
  }

  /** Whether a connection with a session is up right now. */
  public boolean isConnected() {
    return core.isConnected();
  }

  /**
   * Connects. Fails if the first attempt fails (unreachable, refused, timed out); after a success,
   * the client reconnects by itself.
   */
  public CompletableFuture<ConnectResult> connect() {
    CompletableFuture<ConnectResult> f = new CompletableFuture<>();
    core.execute(() -> core.connect(f));
    return f;
  }

  /**
   * Publishes. Completes when the message is written (QoS 0), acknowledged by PUBACK (QoS 1) or by
   * PUBCOMP (QoS 2), with the broker's reason code (always success in 3.1.1; 0x10 "no matching
   * subscribers" is a success too). Fails if the broker refuses it or the offline buffer is full.
   */
  public CompletableFuture<ReasonCode> publish(Message message) {
    Objects.requireNonNull(message, "message");
    String problem = Topics.topicNameProblem(message.topic());
    if (problem != null) {
      return CompletableFuture.failedFuture(new IllegalArgumentException(problem));
    }
    CompletableFuture<ReasonCode> f = new CompletableFuture<>();
    core.execute(() -> core.publish(message, f));
    return f;
  }

  /** Publishes a UTF-8 payload. */
  public CompletableFuture<ReasonCode> publish(String topic, String payload, QoS qos) {
    return publish(Message.builder(topic).payload(payload).qos(qos).build());
  }

  /**
   * Subscribes to one filter; {@code handler} receives every matching message. A shared
   * subscription is {@code $share/group/filter} (MQTT 5.0, or brokers that allow it in 3.1.1).
   *
   * @return the granted QoS as a reason code; fails with the reason if the broker refuses
   */
  public CompletableFuture<List<ReasonCode>> subscribe(
      String filter, QoS qos, Consumer<Message> handler) {
    return subscribe(List.of(Subscription.of(filter, qos)), handler);
  }

  /**
   * Subscribes with full MQTT 5.0 options (no local, retain as published, retain handling); one
   * handler for all of them.
   */
  public CompletableFuture<List<ReasonCode>> subscribe(
      List<Subscription> subscriptions, Consumer<Message> handler) {
    Objects.requireNonNull(handler, "handler");
    for (Subscription s : subscriptions) {
      String problem = Topics.topicFilterProblem(s.filter(), version());
      if (problem != null) {
        return CompletableFuture.failedFuture(new IllegalArgumentException(problem));
      }
    }
    CompletableFuture<List<ReasonCode>> f = new CompletableFuture<>();
    List<Subscription> copy = List.copyOf(subscriptions);
    core.execute(() -> core.subscribe(copy, handler, f));
    return f;
  }

  /**
   * The messages of {@code filter} as a {@link Flow.Publisher}. The MQTT subscription is made when
   * the first subscriber subscribes; each subscriber's demand is honoured, and a slow subscriber
   * slows the callback thread down (up to {@code bufferSize} messages are held per subscriber).
   */
  public Flow.Publisher<Message> publisher(String filter, QoS qos, int bufferSize) {
    return new MessagePublisher(this, filter, qos, bufferSize);
  }

  /** Unsubscribes; the handlers of these filters stop receiving messages at once. */
  public CompletableFuture<List<ReasonCode>> unsubscribe(String... filters) {
    CompletableFuture<List<ReasonCode>> f = new CompletableFuture<>();
    List<String> list = List.of(filters);
    core.execute(() -> core.unsubscribe(list, f));
    return f;
  }

  /**
   * Sends a request and waits for its response (MQTT 5.0 request/response): the message gets a
   * response topic of this client's and fresh correlation data; the response is the first message
   * on that topic with the same correlation data.
   *
   * @throws IllegalStateException if the client speaks 3.1.1
   */
  public CompletableFuture<Message> request(Message request, Duration timeout) {
    if (!version().isV5()) {
      throw new IllegalStateException("request/response needs MQTT 5.0");
    }
    return requests.send(request).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Disconnects politely (DISCONNECT, then close). Messages not yet sent or acknowledged stay, and
   * go out if {@link #connect()} is called again.
   */
  public CompletableFuture<Void> disconnect() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    core.execute(() -> core.disconnect(f));
    return f;
  }

  /**
   * Disconnects, fails whatever is still pending with {@link MqttClientException}, and stops the
   * client's threads. Waits at most a few seconds; do not call from a message handler of this
   * client's own callback thread.
   */
  @Override
  public void close() {
    try {
      disconnect().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // closing anyway
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      core.execute(
          () -> {
            core.shutdown();
            done.complete(null);
          });
      done.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
