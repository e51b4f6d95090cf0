package io.starling.client;

import io.starling.codec.QoS;
import java.util.concurrent.Flow;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.SubmissionPublisher;

/**
 * The messages of one filter as a {@link Flow.Publisher}. Backed by a {@link SubmissionPublisher}:
 * the client's callback thread submits each message, and blocks while a subscriber's buffer is
 * full, which slows delivery down instead of dropping messages. Subscribers are told {@code
 * onError} if the MQTT subscription is refused.
 */
final class MessagePublisher implements Flow.Publisher<Message> {
  private final MqttClient client;
  private final String filter;
  private final QoS qos;
  private final SubmissionPublisher<Message> publisher;
  private boolean subscribed;

  MessagePublisher(MqttClient client, String filter, QoS qos, int bufferSize) {
    this.client = client;
    this.filter = filter;
    this.qos = qos;
    this.publisher = new SubmissionPublisher<>(ForkJoinPool.commonPool(), bufferSize);
  }

  @Override
  public void subscribe(Flow.Subscriber<? super Message> subscriber) {
    publisher.subscribe(subscriber);
    synchronized (this) {
      if (subscribed) {
        return;
      }
      subscribed = true;
    }
    client
        .subscribe(filter, qos, publisher::submit)
        .whenComplete(
            (codes, e) -> {
              if (e != null) {
                publisher.closeExceptionally(e);
              }
            });
  }
}
