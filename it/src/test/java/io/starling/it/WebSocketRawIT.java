package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.BrokerConfig.Listener;
import io.starling.broker.config.BrokerConfig.Listener.Kind;
import io.starling.broker.config.WebSocketConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * MQTT over WebSocket byte by byte, with the JDK's WebSocket client: packets split across frames
 * (as separate messages and as one fragmented message), several packets in one frame, the
 * subprotocols, the path, the origin check and text frames.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebSocketRawIT {
  private static final Duration BOUND = Duration.ofSeconds(10);
  private static final HexFormat HEX = HexFormat.of();

  // CONNECT, MQTT 3.1.1, clean session, keep-alive 60, client id "raw-ws"
  private static final byte[] CONNECT =
      bytes(
          "10 12", // CONNECT, remaining length 18
          "0004 4d515454", // protocol name "MQTT"
          "04", // protocol level 4 (3.1.1)
          "02", // flags: clean session
          "003c", // keep-alive 60 s
          "0006 7261772d7773"); // client id "raw-ws"

  private static final byte[] CONNACK = bytes("20 02 00 00"); // accepted, no session present

  // SUBSCRIBE packet id 1, filter "ws/t" at QoS 0
  private static final byte[] SUBSCRIBE =
      bytes("82 09", "0001", "0004 77732f74", "00"); // reserved bits 0010, id, filter, QoS

  private static final byte[] SUBACK = bytes("90 03 0001 00"); // id 1, granted QoS 0

  // PUBLISH QoS 0 to "ws/t" with payload "hi"
  private static final byte[] PUBLISH = bytes("30 08", "0004 77732f74", "6869");
  private static final byte[] PINGREQ = bytes("c0 00");
  private static final byte[] PINGRESP = bytes("d0 00");

  private static Broker broker;

  @BeforeAll
  static void startBroker() throws Exception {
    Listener ws = Listener.of("ws", Kind.WS, "127.0.0.1", 0, null);
    Listener strict =
        Listener.of("strict", Kind.WS, "127.0.0.1", 0, null)
            .withWebSocket(new WebSocketConfig("/mqtt", List.of("https://good.example")));
    Listener any =
        Listener.of("any", Kind.WS, "127.0.0.1", 0, null)
            .withWebSocket(new WebSocketConfig("/mqtt", List.of("*")));
    broker =
        Broker.start(
            BrokerConfig.defaults()
                .withSys(new BrokerConfig.Sys(0))
                .withListeners(List.of(ws, strict, any)));
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void packetsSplitAcrossFramesAndPackedIntoOneFrameAllArrive() throws Exception {
    Collector in = new Collector();
    WebSocket ws = open("ws", "/mqtt", "mqtt", null, in);
    assertThat(ws.getSubprotocol()).isEqualTo("mqtt");

    // CONNECT in two WebSocket messages: the packet is split across frames.
    ws.sendBinary(ByteBuffer.wrap(CONNECT, 0, 5), true).join();
    ws.sendBinary(ByteBuffer.wrap(CONNECT, 5, CONNECT.length - 5), true).join();
    await().atMost(BOUND).until(() -> in.packets().size() >= 1);
    assertThat(in.packets().get(0)).isEqualTo(HEX.formatHex(CONNACK));

    // SUBSCRIBE as one fragmented message: a first frame and a continuation frame.
    ws.sendBinary(ByteBuffer.wrap(SUBSCRIBE, 0, 3), false).join();
    ws.sendBinary(ByteBuffer.wrap(SUBSCRIBE, 3, SUBSCRIBE.length - 3), true).join();
    await().atMost(BOUND).until(() -> in.packets().size() >= 2);
    assertThat(in.packets().get(1)).isEqualTo(HEX.formatHex(SUBACK));

    // PUBLISH and PINGREQ packed into one frame: both are answered.
    ByteBuffer two = ByteBuffer.allocate(PUBLISH.length + PINGREQ.length);
    two.put(PUBLISH).put(PINGREQ).flip();
    ws.sendBinary(two, true).join();
    await().atMost(BOUND).until(() -> in.packets().size() >= 4);
    assertThat(in.packets().subList(2, 4))
        .containsExactlyInAnyOrder(HEX.formatHex(PUBLISH), HEX.formatHex(PINGRESP));
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
  }

  @Test
  void aMessageWithALargePayloadLeavesAsOneFrame() throws Exception {
    Collector in = new Collector();
    WebSocket ws = open("ws", "/mqtt", "mqtt", null, in);
    ws.sendBinary(ByteBuffer.wrap(CONNECT), true).join();
    ws.sendBinary(ByteBuffer.wrap(SUBSCRIBE), true).join();
    await().atMost(BOUND).until(() -> in.packets().size() >= 2);
    int messagesBefore = in.messages();
    int bytesBefore = in.bytes();
    // PUBLISH QoS 0 to "ws/t" with 300 bytes of payload: remaining length 306 = 0xb2 0x02.
    ByteBuffer publish = ByteBuffer.allocate(3 + 306);
    publish.put(bytes("30 b202", "0004 77732f74")).put(new byte[300]).flip();
    int size = publish.remaining();
    ws.sendBinary(publish, true).join();
    await().atMost(BOUND).until(() -> in.bytes() >= bytesBefore + size);
    // The broker writes header and payload as two buffers; they leave in one frame.
    assertThat(in.messages()).isEqualTo(messagesBefore + 1);
    ws.abort();
  }

  @Test
  void theMqtt31SubprotocolIsAccepted() throws Exception {
    WebSocket ws = open("ws", "/mqtt", "mqttv3.1", null, new Collector());
    assertThat(ws.getSubprotocol()).isEqualTo("mqttv3.1");
    ws.abort();
  }

  @Test
  void aTextFrameClosesTheConnection() throws Exception {
    Collector in = new Collector();
    WebSocket ws = open("ws", "/mqtt", "mqtt", null, in);
    ws.sendText("not binary", true).join();
    await().atMost(BOUND).until(in::isClosed);
  }

  @Test
  void anotherPathIsRefused() {
    assertThatThrownBy(() -> open("ws", "/other", "mqtt", null, new Collector()))
        .isInstanceOf(ExecutionException.class);
  }

  @Test
  void anOriginOutsideTheListIsRefusedAndOneInsideIsAccepted() throws Exception {
    assertThatThrownBy(
            () -> open("strict", "/mqtt", "mqtt", "https://evil.example", new Collector()))
        .isInstanceOf(ExecutionException.class);
    Collector in = new Collector();
    WebSocket ws = open("strict", "/mqtt", "mqtt", "https://good.example", in);
    ws.sendBinary(ByteBuffer.wrap(CONNECT), true).join();
    await().atMost(BOUND).until(() -> in.packets().size() >= 1);
    assertThat(in.packets().get(0)).isEqualTo(HEX.formatHex(CONNACK));
    ws.abort();
  }

  @Test
  void onAnAnonymousListenerWithoutAListOnlyTheBrokersOwnOriginIsAccepted() throws Exception {
    // Any web page could otherwise make its visitors' browsers anonymous clients of the broker.
    assertThatThrownBy(() -> open("ws", "/mqtt", "mqtt", "https://evil.example", new Collector()))
        .isInstanceOf(ExecutionException.class);
    String own = "http://127.0.0.1:" + broker.port("ws");
    Collector in = new Collector();
    WebSocket ws = open("ws", "/mqtt", "mqtt", own, in);
    ws.sendBinary(ByteBuffer.wrap(CONNECT), true).join();
    await().atMost(BOUND).until(() -> in.packets().size() >= 1);
    assertThat(in.packets().get(0)).isEqualTo(HEX.formatHex(CONNACK));
    ws.abort();
    // "*" lets every origin in, for those who want it.
    WebSocket anyOrigin = open("any", "/mqtt", "mqtt", "https://evil.example", new Collector());
    anyOrigin.abort();
  }

  private static WebSocket open(
      String listener, String path, String subprotocol, String origin, Collector in)
      throws Exception {
    WebSocket.Builder b =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .connectTimeout(BOUND)
            .subprotocols(subprotocol);
    if (origin != null) {
      b.header("Origin", origin);
    }
    URI uri = URI.create("ws://127.0.0.1:" + broker.port(listener) + path);
    return b.buildAsync(uri, in).get(BOUND.toSeconds(), TimeUnit.SECONDS);
  }

  private static byte[] bytes(String... hex) {
    return HEX.parseHex(String.join("", hex).replace(" ", ""));
  }

  /** Collects what the broker sends and splits it into MQTT packets (all shorter than 128). */
  private static final class Collector implements WebSocket.Listener {
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private volatile boolean closed;
    private int messages;

    @Override
    public synchronized CompletionStage<?> onBinary(
        WebSocket webSocket, ByteBuffer data, boolean last) {
      byte[] b = new byte[data.remaining()];
      data.get(b);
      received.writeBytes(b);
      if (last) {
        messages++;
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed = true;
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed = true;
    }

    /** Whole WebSocket messages received (a message is one frame unless fragmented). */
    synchronized int messages() {
      return messages;
    }

    synchronized int bytes() {
      return received.size();
    }

    boolean isClosed() {
      return closed;
    }

    /** The complete packets received so far, as hex. */
    synchronized List<String> packets() {
      byte[] all = received.toByteArray();
      List<String> out = new ArrayList<>();
      int i = 0;
      while (i + 2 <= all.length && i + 2 + all[i + 1] <= all.length) {
        int end = i + 2 + all[i + 1];
        out.add(HEX.formatHex(all, i, end));
        i = end;
      }
      return out;
    }
  }
}
