package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code starling broker --data-dir} killed with {@code kill -9} while several publishers send QoS
 * 1 and QoS 2 messages with per-publisher sequence numbers to two persistent subscribers (one of
 * them offline half of the time): every message the broker acknowledged reaches both subscribers,
 * QoS 2 messages arrive exactly once, and each publisher's messages arrive in order. The rounds,
 * and the moments of the kills (after a number of acknowledged messages), come from a fixed seed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CrashIT {
  private static final int ROUNDS = 4;
  private static final int[] PUBLISHER_QOS = {1, 1, 2, 2};
  private static final Duration START_BOUND = Duration.ofSeconds(60);

  @TempDir Path dir;

  /** What one subscriber received: "publisher:seq" in arrival order. */
  private static final class Subscriber implements MqttCallback {
    final String id;
    final List<String> received = new CopyOnWriteArrayList<>();

    /** For each arrival: its packet id, DUP flag and connection number, for failure messages. */
    final List<String> details = new CopyOnWriteArrayList<>();

    volatile int connection;
    MqttClient client;

    Subscriber(String id) {
      this.id = id;
    }

    void connect(int port, boolean subscribe) throws MqttException {
      if (client == null) {
        client = ItSupport.paho(port, id);
        client.setCallback(this);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> !client.isConnected());
      client.connect(ItSupport.options(false));
      connection++;
      if (subscribe) {
        client.subscribe("crash/#", 2);
      }
    }

    @Override
    public void connectionLost(Throwable cause) {}

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      received.add(ItSupport.text(message.getPayload()));
      details.add(
          ItSupport.text(message.getPayload())
              + " id="
              + message.getId()
              + " dup="
              + message.isDuplicate()
              + " conn="
              + connection);
    }

    @Override
    public void deliveryComplete(IMqttDeliveryToken token) {}
  }

  @Test
  void everyAcknowledgedMessageSurvivesKill9() throws Exception {
    Random random = new Random(5);
    int port = freePort();
    String data = dir.resolve("data").toString();
    // Room for every message an offline subscriber misses in a round: the per-session limit
    // (1000 by default) would otherwise drop some, as documented, and this test is about crashes.
    java.nio.file.Files.writeString(
        dir.resolve("starling.yaml"), "limits:\n  max_queued_messages: 1000000\n");
    String config = dir.resolve("starling.yaml").toString();
    Subscriber a = new Subscriber("crash-sub-a");
    Subscriber b = new Subscriber("crash-sub-b");
    Set<String> acked = ConcurrentHashMap.newKeySet();
    int[] nextSeq = new int[PUBLISHER_QOS.length];

    for (int round = 0; round < ROUNDS; round++) {
      BrokerProcess broker = start(port, data, config);
      try {
        a.connect(port, round == 0);
        boolean bOnline = round % 2 == 0;
        if (bOnline) {
          b.connect(port, round == 0);
        }
        AtomicInteger ackedThisRound = new AtomicInteger();
        List<Thread> publishers = new ArrayList<>();
        for (int p = 0; p < PUBLISHER_QOS.length; p++) {
          publishers.add(publisher(port, p, nextSeq, acked, ackedThisRound));
        }
        int killAfter = 30 + random.nextInt(200);
        await()
            .atMost(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(5))
            .until(() -> ackedThisRound.get() >= killAfter || !broker.isAlive());
        assertThat(broker.isAlive()).as("broker output:%n%s", broker).isTrue();
        broker.kill();
        for (Thread t : publishers) {
          t.join(TimeUnit.SECONDS.toMillis(15));
        }
      } finally {
        broker.close();
      }
    }

    BrokerProcess broker = start(port, data, config);
    try {
      a.connect(port, false);
      b.connect(port, false);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                assertThat(a.received).containsAll(acked);
                assertThat(b.received).containsAll(acked);
              });
      for (Subscriber s : List.of(a, b)) {
        checkOnceAndInOrder(s);
      }
      assertThat(acked.size()).as("messages acknowledged in all rounds").isGreaterThan(100);
    } finally {
      for (Subscriber s : List.of(a, b)) {
        try {
          s.client.disconnectForcibly(100, 100);
          s.client.close();
        } catch (MqttException e) {
          // the broker is going away anyway
        }
      }
      broker.close();
    }
  }

  /** QoS 2 messages arrive at most once; each publisher's messages first arrive in order. */
  private static void checkOnceAndInOrder(Subscriber s) {
    Map<String, Integer> count = new HashMap<>();
    int[] lastFirstArrival = new int[PUBLISHER_QOS.length];
    for (String m : s.received) {
      if (count.merge(m, 1, Integer::sum) > 1) {
        int p = Integer.parseInt(m.substring(0, m.indexOf(':')));
        List<String> both = s.details.stream().filter(d -> d.startsWith(m + " ")).toList();
        assertThat(PUBLISHER_QOS[p])
            .as("%s received %s twice (%s): only QoS 1 may repeat", s.id, m, both)
            .isEqualTo(1);
        continue;
      }
      int p = Integer.parseInt(m.substring(0, m.indexOf(':')));
      int seq = Integer.parseInt(m.substring(m.indexOf(':') + 1));
      assertThat(seq)
          .as("%s: publisher %d's messages in order (%s after %d)", s.id, p, m, lastFirstArrival[p])
          .isGreaterThan(lastFirstArrival[p]);
      lastFirstArrival[p] = seq;
    }
  }

  /**
   * A publisher (clean session) sending its next sequence numbers one at a time until the broker
   * dies; a message counts as acknowledged when {@code publish} returns (PUBACK, or PUBCOMP after
   * PUBREC).
   */
  private static Thread publisher(
      int port, int p, int[] nextSeq, Set<String> acked, AtomicInteger ackedThisRound)
      throws MqttException {
    MqttClient c = ItSupport.paho(port, "crash-pub-" + p);
    c.setTimeToWait(10_000);
    c.connect(ItSupport.options(true));
    Thread t =
        new Thread(
            () -> {
              try {
                while (true) {
                  int seq;
                  synchronized (nextSeq) {
                    seq = ++nextSeq[p];
                  }
                  String body = p + ":" + seq;
                  c.publish("crash/p" + p, ItSupport.utf8(body), PUBLISHER_QOS[p], false);
                  acked.add(body);
                  ackedThisRound.incrementAndGet();
                }
              } catch (MqttException e) {
                // the broker was killed: this message's fate is unknown, it is not counted
              } finally {
                try {
                  c.close(true);
                } catch (MqttException e) {
                  // closing a dead connection
                }
              }
            },
            "crash-pub-" + p);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static BrokerProcess start(int port, String data, String config) throws Exception {
    BrokerProcess b =
        BrokerProcess.start(
            START_BOUND, "--port", Integer.toString(port), "--data-dir", data, "--config", config);
    assertThat(b.isAlive()).as("broker output:%n%s", b).isTrue();
    return b;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
