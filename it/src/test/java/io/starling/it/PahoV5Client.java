package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * An Eclipse Paho MQTT 5.0 client with what it receives collected in queues, and blocking helpers
 * for tests. Paho calls back on its own threads; the queues are thread-safe.
 */
final class PahoV5Client implements AutoCloseable {
  private static final long WAIT_MILLIS = 5000;

  /** One message as the application saw it. */
  record Received(String topic, MqttMessage message) {
    String text() {
      return ItSupport.text(message.getPayload());
    }

    MqttProperties properties() {
      return message.getProperties();
    }
  }

  final MqttAsyncClient client;
  final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();
  final BlockingQueue<MqttDisconnectResponse> disconnects = new LinkedBlockingQueue<>();

  PahoV5Client(int port, String clientId) throws MqttException {
    client = new MqttAsyncClient("tcp://127.0.0.1:" + port, clientId, new MemoryPersistence());
    client.setCallback(
        new MqttCallback() {
          @Override
          public void disconnected(MqttDisconnectResponse response) {
            disconnects.add(response);
          }

          @Override
          public void mqttErrorOccurred(MqttException exception) {}

          @Override
          public void messageArrived(String topic, MqttMessage message) {
            messages.add(new Received(topic, message));
          }

          @Override
          public void deliveryComplete(IMqttToken token) {}

          @Override
          public void connectComplete(boolean reconnect, String serverURI) {}

          @Override
          public void authPacketArrived(int reasonCode, MqttProperties properties) {}
        });
  }

  /** Clean start, no session expiry, keep-alive 30, no automatic reconnect, short timeouts. */
  static MqttConnectionOptions options() {
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(true);
    o.setConnectionTimeout(5);
    o.setKeepAliveInterval(30);
    o.setAutomaticReconnect(false);
    return o;
  }

  /** Connects and returns the completed token (CONNACK properties: getResponseProperties). */
  IMqttToken connect(MqttConnectionOptions o) throws MqttException {
    IMqttToken t = client.connect(o);
    t.waitForCompletion(WAIT_MILLIS);
    return t;
  }

  IMqttToken connect() throws MqttException {
    return connect(options());
  }

  /** Subscribes and returns the SUBACK reason codes. */
  int[] subscribe(MqttProperties props, MqttSubscription... subs) throws MqttException {
    IMqttToken t = client.subscribe(subs, null, null, props == null ? new MqttProperties() : props);
    t.waitForCompletion(WAIT_MILLIS);
    return t.getReasonCodes();
  }

  int[] subscribe(String filter, int qos) throws MqttException {
    return subscribe(null, new MqttSubscription(filter, qos));
  }

  /** Publishes and waits for the acknowledgement flow (if any) to complete. */
  IMqttToken publish(String topic, MqttMessage m) throws MqttException {
    IMqttToken t = client.publish(topic, m);
    t.waitForCompletion(WAIT_MILLIS);
    return t;
  }

  IMqttToken publish(String topic, String payload, int qos, boolean retain) throws MqttException {
    return publish(topic, message(payload, qos, retain, new MqttProperties()));
  }

  static MqttMessage message(String payload, int qos, boolean retain, MqttProperties props) {
    return new MqttMessage(ItSupport.utf8(payload), qos, retain, props);
  }

  /** The next message within 5 seconds. */
  Received next() throws InterruptedException {
    Received r = messages.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    assertThat(r).as("a message within 5 s").isNotNull();
    return r;
  }

  /** The next {@code n} messages. */
  List<Received> next(int n) throws InterruptedException {
    List<Received> got = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      got.add(next());
    }
    return got;
  }

  /** Asserts that no message arrives within {@code d}. */
  void expectNothingWithin(Duration d) throws InterruptedException {
    Received r = messages.poll(d.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(r).as("no message expected").isNull();
  }

  /** The DISCONNECT the broker sent (or the connection loss) within 5 seconds. */
  MqttDisconnectResponse nextDisconnect() throws InterruptedException {
    MqttDisconnectResponse r = disconnects.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    assertThat(r).as("a disconnect within 5 s").isNotNull();
    return r;
  }

  /** A normal DISCONNECT with the given properties. */
  void disconnect(MqttProperties props) throws MqttException {
    client.disconnect(WAIT_MILLIS, null, null, 0, props).waitForCompletion(WAIT_MILLIS);
  }

  /** Ends the connection without DISCONNECT, as a crashed client would. */
  void crash() throws MqttException {
    client.disconnectForcibly(0, 100, false);
  }

  @Override
  public void close() {
    try {
      if (client.isConnected()) {
        client.disconnect(0, null, null, 0, new MqttProperties()).waitForCompletion(1000);
      }
      client.close(true);
    } catch (MqttException e) {
      // already gone
    }
  }
}
