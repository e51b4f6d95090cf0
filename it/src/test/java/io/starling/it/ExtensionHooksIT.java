package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.extension.DeliveryHook;
import io.starling.broker.extension.Hooks;
import io.starling.broker.extension.InboundPublishHook;
import io.starling.broker.extension.LifecycleListener;
import io.starling.broker.extension.NoSubscriberHook;
import io.starling.broker.extension.PublishVerdict;
import io.starling.broker.model.Message;
import io.starling.codec.ReasonCode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The broker's plug points, seen from real MQTT 5.0 clients (Eclipse Paho): an inbound-publish hook
 * that refuses and one that rewrites, the no-subscriber hook, a per-delivery hook that skips one
 * subscriber, and connection and session lifecycle events.
 */
@Timeout(60)
class ExtensionHooksIT {
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final List<String> unrouted = new CopyOnWriteArrayList<>();
  private Broker broker;
  private int port;

  @BeforeEach
  void start() throws Exception {
    InboundPublishHook refuse =
        (client, user, m) ->
            m.topic().startsWith("forbidden/")
                ? PublishVerdict.refuse(ReasonCode.NOT_AUTHORIZED)
                : PublishVerdict.pass(m);
    InboundPublishHook shout =
        (client, user, m) -> {
          if (!m.topic().startsWith("shout/")) {
            return PublishVerdict.pass(m);
          }
          String upper = m.payload().toString(StandardCharsets.UTF_8).toUpperCase();
          // The new payload is the hook's: the broker retains what it keeps of it.
          return PublishVerdict.pass(
              new Message(
                  m.topic(),
                  Unpooled.copiedBuffer(upper, StandardCharsets.UTF_8),
                  m.qos(),
                  m.retain(),
                  m.properties(),
                  m.expiryAtNanos(),
                  m.originClientId()));
        };
    NoSubscriberHook nobody = m -> unrouted.add(m.topic());
    DeliveryHook skipQuiet = (client, m, qos) -> client.startsWith("quiet") ? null : m;
    LifecycleListener lifecycle =
        new LifecycleListener() {
          @Override
          public void onConnected(
              String clientId,
              String username,
              io.starling.codec.MqttVersion v,
              java.net.SocketAddress a) {
            events.add("connected " + clientId);
          }

          @Override
          public void onDisconnected(String clientId, boolean byClient) {
            events.add("disconnected " + clientId + (byClient ? " by client" : ""));
          }

          @Override
          public void onSessionCreated(String clientId) {
            events.add("session created " + clientId);
          }

          @Override
          public void onSessionEnded(String clientId) {
            events.add("session ended " + clientId);
          }
        };
    Hooks hooks =
        new Hooks(List.of(refuse, shout), List.of(nobody), List.of(skipQuiet), List.of(lifecycle));
    broker = Broker.start(BrokerConfig.defaults().withListener("127.0.0.1", 0), null, hooks);
    port = broker.port();
  }

  @AfterEach
  void stop() {
    broker.close();
  }

  @Test
  void aRefusedPublishIsAcknowledgedWithTheHooksReasonAndGoesNowhere() throws Exception {
    try (PahoV5Client sub = new PahoV5Client(port, "sub-refused");
        PahoV5Client pub = new PahoV5Client(port, "pub-refused")) {
      sub.connect();
      sub.subscribe("forbidden/#", 1);
      pub.connect();
      var token = pub.publish("forbidden/x", "secret", 1, false);
      assertThat(token.getReasonCodes()).containsExactly(ReasonCode.NOT_AUTHORIZED.value());
      pub.publish("allowed/x", "fine", 1, false);
      assertThat(sub.messages.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }
  }

  @Test
  void aHookMayRewriteTheMessageEverySubscriberGets() throws Exception {
    try (PahoV5Client sub = new PahoV5Client(port, "sub-shout");
        PahoV5Client pub = new PahoV5Client(port, "pub-shout")) {
      sub.connect();
      sub.subscribe("shout/#", 1);
      pub.connect();
      pub.publish("shout/a", "hello", 1, false);
      assertThat(sub.next().text()).isEqualTo("HELLO");
    }
  }

  @Test
  void messagesNobodySubscribedToGoToTheNoSubscriberHook() throws Exception {
    try (PahoV5Client pub = new PahoV5Client(port, "pub-nobody")) {
      pub.connect();
      var token = pub.publish("nobody/listens", "x", 1, false);
      assertThat(token.getReasonCodes())
          .containsExactly(ReasonCode.NO_MATCHING_SUBSCRIBERS.value());
      await().atMost(Duration.ofSeconds(5)).until(() -> unrouted.contains("nobody/listens"));
    }
  }

  @Test
  void aDeliveryHookSkipsOneSubscriberOnly() throws Exception {
    try (PahoV5Client loud = new PahoV5Client(port, "loud-1");
        PahoV5Client quiet = new PahoV5Client(port, "quiet-1");
        PahoV5Client pub = new PahoV5Client(port, "pub-skip")) {
      loud.connect();
      loud.subscribe("news/#", 1);
      quiet.connect();
      quiet.subscribe("news/#", 1);
      pub.connect();
      pub.publish("news/today", "n", 1, false);
      assertThat(loud.next().text()).isEqualTo("n");
      assertThat(quiet.messages.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }
  }

  @Test
  void lifecycleListenersHearConnectionsAndSessions() throws MqttException {
    try (PahoV5Client c = new PahoV5Client(port, "life-1")) {
      c.connect();
      c.client.disconnect().waitForCompletion(5000);
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(events)
                    .containsSubsequence(
                        "session created life-1",
                        "connected life-1",
                        "disconnected life-1 by client",
                        "session ended life-1"));
  }
}
