package io.starling.it;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/** Helpers shared by the end-to-end tests. */
final class ItSupport {
  private static final AtomicInteger IDS = new AtomicInteger();

  private ItSupport() {}

  /** A client id unique within the test run. */
  static String uniqueId(String prefix) {
    return prefix + "-" + IDS.incrementAndGet();
  }

  /** A Paho MQTT 3.1.1 client for {@code 127.0.0.1:port}, not yet connected. */
  static MqttClient paho(int port, String clientId) throws MqttException {
    return new MqttClient("tcp://127.0.0.1:" + port, clientId, new MemoryPersistence());
  }

  /** Connect options: clean session as given, 3.1.1, no automatic reconnect, short timeouts. */
  static MqttConnectOptions options(boolean cleanSession) {
    MqttConnectOptions o = new MqttConnectOptions();
    o.setCleanSession(cleanSession);
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    o.setConnectionTimeout(5);
    o.setKeepAliveInterval(30);
    o.setAutomaticReconnect(false);
    o.setMaxInflight(1000);
    return o;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(byte[] payload) {
    return new String(payload, StandardCharsets.UTF_8);
  }
}
