package io.starling.broker.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.starling.broker.model.Message;
import io.starling.codec.QoS;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class InflightWindowTest {
  private static OutboundMessage message(int packetId) {
    OutboundMessage m =
        new OutboundMessage(
            Message.of("t", Unpooled.EMPTY_BUFFER, QoS.AT_LEAST_ONCE, false),
            QoS.AT_LEAST_ONCE,
            false,
            null,
            null);
    m.packetId = packetId;
    return m;
  }

  @Test
  void packetIdsSkipThoseInFlightWrapAfter65535AndSurviveAClear() {
    InflightWindow w = new InflightWindow();
    assertThat(w.nextFreePacketId()).isEqualTo(1);
    w.add(message(2));
    assertThat(w.nextFreePacketId()).as("2 is in flight").isEqualTo(3);
    for (int i = 4; i <= 0xFFFF; i++) {
      w.nextFreePacketId();
    }
    assertThat(w.nextFreePacketId()).as("after 65535 comes 1, never 0").isEqualTo(1);
    w.clear(m -> {});
    assertThat(w.nextFreePacketId()).as("a clean start does not reuse ids at once").isEqualTo(2);
  }

  @Test
  void messagesKeepTheirOrderAndUnsentOnesDoNotCountAgainstTheWindow() {
    InflightWindow w = new InflightWindow();
    for (int id : new int[] {7, 3, 9}) {
      w.add(message(id));
    }
    List<Integer> order = new ArrayList<>();
    for (OutboundMessage m : w) {
      order.add(m.packetId);
    }
    assertThat(order).as("resend order is send order").containsExactly(7, 3, 9);
    w.markUnsent(w.get(3));
    w.markUnsent(w.get(3));
    assertThat(w.unsentCount()).isEqualTo(1);
    assertThat(w.outstanding()).isEqualTo(2);
    Iterator<OutboundMessage> it = w.iterator();
    it.next();
    it.next();
    it.remove(); // the unsent one
    assertThat(w.unsentCount()).as("removing through the iterator keeps the count").isZero();
    assertThat(w.size()).isEqualTo(2);
    assertThat(w.holds(w.get(9))).isTrue();
    assertThat(w.get(3)).isNull();
  }
}
