package io.starling.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.codec.QoS;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class MessageTest {
  @Test
  void equalMessagesCompareTheirBytes() {
    Message a = Message.builder("t").payload("x").correlationData(new byte[] {1}).build();
    Message b = Message.builder("t").payload("x").correlationData(new byte[] {1}).build();
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(a.toBuilder().payload("y").build());
  }

  @Test
  void aReplyGoesToTheResponseTopicWithTheCorrelationData() {
    Message request =
        Message.builder("svc")
            .qos(QoS.AT_LEAST_ONCE)
            .responseTopic("answers/1")
            .correlationData(new byte[] {7})
            .build();
    Message reply = request.replyBuilder().payload("ok").build();
    assertThat(reply.topic()).isEqualTo("answers/1");
    assertThat(reply.correlationData()).containsExactly(7);
    assertThat(reply.qos()).isEqualTo(QoS.AT_LEAST_ONCE);
  }

  @Test
  void noReplyWithoutAResponseTopic() {
    assertThatThrownBy(() -> Message.of("t", "x").replyBuilder())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no response topic");
  }

  @Test
  void expiryIsCheckedWhenBuilt() {
    assertThatThrownBy(() -> Message.builder("t").messageExpirySeconds(-2).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("messageExpirySeconds");
  }
}
