package io.starling.it;

import static io.starling.it.ItSupport.options;
import static io.starling.it.ItSupport.text;
import static io.starling.it.ItSupport.uniqueId;
import static io.starling.it.ItSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient.Mqtt3Publishes;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.ConfigLoader;
import io.starling.cli.CertificateGenerator;
import io.starling.testkit.Packets;
import io.starling.testkit.RawClient;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One broker with every kind of listener at once, from one config file: tcp, tls (server
 * certificate only), tls with mutual authentication, ws, ws with an origin list, wss. Real clients
 * on each: Paho over {@code ssl://}, the HiveMQ client over WebSocket and secure WebSocket, and
 * messages crossing from one listener to another.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ListenersIT {
  @TempDir static Path dir;
  private static CertificateGenerator.Files certs;
  private static CertificateGenerator.Files otherCa;
  private static Broker broker;
  private final List<MqttClient> pahos = new ArrayList<>();
  private final List<Mqtt3BlockingClient> hivemqs = new ArrayList<>();

  @BeforeAll
  static void startBroker() throws Exception {
    certs = TlsSupport.certificates(dir.resolve("good"), "device-7");
    otherCa = TlsSupport.certificates(dir.resolve("other"), "intruder");
    String tls =
        "    tls:\n"
            + "      cert_file: "
            + certs.serverCert()
            + "\n      key_file: "
            + certs.serverKey()
            + "\n";
    String yaml =
        String.join(
            "\n",
            "limits:",
            "  connect_timeout_seconds: 2",
            "sys:",
            "  interval_seconds: 0",
            "listeners:",
            "  - kind: tcp",
            "    bind: 127.0.0.1",
            "    port: 0",
            "  - kind: tls",
            "    bind: 127.0.0.1",
            "    port: 0",
            tls,
            "  - kind: tls",
            "    name: mtls",
            "    bind: 127.0.0.1",
            "    port: 0",
            tls + "      client_auth: require",
            "      ca_file: " + certs.ca(),
            "      certificate_username: cn",
            "  - kind: ws",
            "    bind: 127.0.0.1",
            "    port: 0",
            "  - kind: ws",
            "    name: ws-origin",
            "    bind: 127.0.0.1",
            "    port: 0",
            "    websocket:",
            "      path: /broker",
            "      allowed_origins: [https://good.example]",
            "  - kind: wss",
            "    bind: 127.0.0.1",
            "    port: 0",
            tls,
            "  - kind: tcp",
            "    name: tcp-small",
            "    bind: 127.0.0.1",
            "    port: 0",
            "    max_connections: 1",
            "");
    BrokerConfig config = ConfigLoader.parse(yaml, "listeners-it.yaml");
    broker = Broker.start(config);
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  @AfterEach
  void closeClients() throws MqttException {
    for (MqttClient c : pahos) {
      if (c.isConnected()) {
        c.disconnect();
      }
      c.close();
    }
    for (Mqtt3BlockingClient c : hivemqs) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
  }

  // ---- TLS with Paho -------------------------------------------------------------------------

  @Test
  void pahoOverTlsTalksToAPlainTcpClient() throws Exception {
    MqttClient secure = pahoTls("tls", TlsSupport.clientContext(certs.ca(), null, null));
    BlockingQueue<String> got = new ArrayBlockingQueue<>(10);
    secure.subscribe("tls/#", 1, (topic, m) -> got.add(topic + " " + text(m.getPayload())));
    MqttClient plain = ItSupport.paho(broker.port("tcp"), uniqueId("plain"));
    pahos.add(plain);
    plain.connect(options(true));
    plain.publish("tls/x", utf8("over tcp"), 1, false);
    assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("tls/x over tcp");
    secure.publish("tls/y", utf8("over tls"), 1, false);
    assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("tls/y over tls");
  }

  @Test
  void mutualTlsAcceptsAClientCertificateFromItsCa() throws Exception {
    SSLContext ctx = TlsSupport.clientContext(certs.ca(), certs.clientCert(), certs.clientKey());
    MqttClient c = pahoTls("mtls", ctx);
    BlockingQueue<String> got = new ArrayBlockingQueue<>(10);
    c.subscribe("m/#", 1, (topic, m) -> got.add(text(m.getPayload())));
    c.publish("m/1", utf8("hello"), 1, false);
    assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("hello");
  }

  @Test
  void mutualTlsRefusesAClientWithoutCertificate() throws Exception {
    SSLContext ctx = TlsSupport.clientContext(certs.ca(), null, null);
    assertThatThrownBy(() -> pahoTls("mtls", ctx)).isInstanceOf(MqttException.class);
  }

  @Test
  void mutualTlsRefusesACertificateFromAnotherCa() throws Exception {
    // The client trusts the server, but its own certificate is signed by an unknown CA.
    SSLContext ctx =
        TlsSupport.clientContext(certs.ca(), otherCa.clientCert(), otherCa.clientKey());
    assertThatThrownBy(() -> pahoTls("mtls", ctx)).isInstanceOf(MqttException.class);
  }

  @Test
  void aClientThatDoesNotTrustTheServerCannotConnect() throws Exception {
    SSLContext ctx = TlsSupport.clientContext(otherCa.ca(), null, null);
    assertThatThrownBy(() -> pahoTls("tls", ctx)).isInstanceOf(MqttException.class);
  }

  // ---- WebSocket with the HiveMQ client -------------------------------------------------------

  @Test
  void hivemqOverWebSocketAndSecureWebSocket() throws Exception {
    Mqtt3BlockingClient ws = hivemq(Mqtt3Client.builder().serverPort(broker.port("ws")));
    Mqtt3BlockingClient wss =
        hivemq(
            Mqtt3Client.builder()
                .serverPort(broker.port("wss"))
                .sslConfig()
                .trustManagerFactory(TlsSupport.trust(certs.ca()))
                .applySslConfig());
    try (Mqtt3Publishes fromWss = wss.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt3Publishes fromWs = ws.publishes(MqttGlobalPublishFilter.ALL)) {
      wss.subscribeWith().topicFilter("web/to-wss").qos(MqttQos.EXACTLY_ONCE).send();
      ws.subscribeWith().topicFilter("web/to-ws").qos(MqttQos.AT_LEAST_ONCE).send();
      // A payload over 256 bytes is written as header and payload buffers: two frames.
      String big = "x".repeat(5000);
      ws.publishWith().topic("web/to-wss").qos(MqttQos.EXACTLY_ONCE).payload(utf8(big)).send();
      wss.publishWith().topic("web/to-ws").qos(MqttQos.AT_LEAST_ONCE).payload(utf8("hi")).send();
      Optional<Mqtt3Publish> a = fromWss.receive(10, TimeUnit.SECONDS);
      Optional<Mqtt3Publish> b = fromWs.receive(10, TimeUnit.SECONDS);
      assertThat(a).isPresent();
      assertThat(text(a.get().getPayloadAsBytes())).isEqualTo(big);
      assertThat(b).isPresent();
      assertThat(text(b.get().getPayloadAsBytes())).isEqualTo("hi");
    }
  }

  // ---- hostile or broken peers ----------------------------------------------------------------

  @Test
  void aTlsHandshakeThatNeverCompletesIsClosedWhileOthersKeepWorking() throws Exception {
    MqttClient good = pahoTls("tls", TlsSupport.clientContext(certs.ca(), null, null));
    try (Socket silent = new Socket();
        Socket half = new Socket()) {
      silent.connect(new InetSocketAddress("127.0.0.1", broker.port("tls")));
      half.connect(new InetSocketAddress("127.0.0.1", broker.port("tls")));
      // The start of a TLS record header (handshake, TLS 1.0 record version), then nothing.
      half.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x00});
      half.getOutputStream().flush();
      // connect_timeout_seconds is 2 here: both are closed well within 10 seconds.
      assertClosedWithin(silent, Duration.ofSeconds(10));
      assertClosedWithin(half, Duration.ofSeconds(10));
    }
    BlockingQueue<String> got = new ArrayBlockingQueue<>(1);
    good.subscribe("alive", 1, (t, m) -> got.add(text(m.getPayload())));
    good.publish("alive", utf8("yes"), 1, false);
    assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("yes");
  }

  @Test
  void plaintextMqttSentToTheTlsPortIsClosed() throws Exception {
    try (RawClient raw = RawClient.connect(broker.port("tls"))) {
      raw.send(Packets.connect(uniqueId("plain-to-tls"), true));
      assertThat(raw.isClosedWithin(Duration.ofSeconds(10))).isTrue();
    }
    // The listener still serves TLS clients.
    pahoTls("tls", TlsSupport.clientContext(certs.ca(), null, null));
  }

  @Test
  void aListenerAtItsConnectionCapClosesTheNextSocket() throws Exception {
    int port = broker.port("tcp-small");
    try (RawClient first = RawClient.connect(port)) {
      first.send(Packets.connect(uniqueId("first"), true));
      assertThat(first.read()).isInstanceOf(io.starling.codec.packet.ConnAck.class);
      try (RawClient second = RawClient.connect(port)) {
        assertThat(second.isClosedWithin(Duration.ofSeconds(10))).isTrue();
      }
    }
    // Once the first has gone, there is room again.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              try (RawClient again = RawClient.connect(port)) {
                again.send(Packets.connect(uniqueId("again"), true));
                return again.read(Duration.ofSeconds(2))
                    instanceof io.starling.codec.packet.ConnAck;
              } catch (java.io.IOException e) {
                return false;
              }
            });
  }

  // ---- helpers --------------------------------------------------------------------------------

  private MqttClient pahoTls(String listener, SSLContext ctx) throws MqttException {
    MqttClient c =
        new MqttClient(
            "ssl://localhost:" + broker.port(listener),
            uniqueId("paho-" + listener),
            new MemoryPersistence());
    pahos.add(c);
    MqttConnectOptions o = options(true);
    o.setSocketFactory(ctx.getSocketFactory());
    c.connect(o);
    return c;
  }

  private Mqtt3BlockingClient hivemq(com.hivemq.client.mqtt.mqtt3.Mqtt3ClientBuilder builder) {
    Mqtt3BlockingClient c =
        builder
            .identifier(uniqueId("hivemq-ws"))
            .serverHost("localhost")
            .webSocketConfig()
            .serverPath("mqtt")
            .applyWebSocketConfig()
            .buildBlocking();
    hivemqs.add(c);
    c.connect();
    return c;
  }

  static void assertClosedWithin(Socket s, Duration bound) throws Exception {
    s.setSoTimeout((int) bound.toMillis());
    InputStream in = s.getInputStream();
    long deadline = System.nanoTime() + bound.toNanos();
    try {
      while (System.nanoTime() < deadline) {
        if (in.read() < 0) {
          return;
        }
      }
    } catch (java.net.SocketException e) {
      return; // reset by the broker: closed too
    }
    throw new AssertionError("socket still open after " + bound);
  }
}
