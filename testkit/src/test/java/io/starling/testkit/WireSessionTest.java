package io.starling.testkit;

import static io.starling.testkit.WireReaderTest.b;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link WireSession}: the rules on a server's packets that span its connection. */
class WireSessionTest {
  private static final byte[] CONNACK_311 = b(0x20, 0x02, 0x00, 0x00);
  private static final byte[] CONNACK_5 = b(0x20, 0x03, 0x00, 0x00, 0x00);
  private static final byte[] PINGRESP = b(0xD0, 0x00);

  private static void feed(WireSession s, int level, byte[] packet) {
    s.check(WireReader.read(packet, level), packet.length);
  }

  private static WireSession.ClientTerms terms(
      long maxPacketSize, int aliasMax, boolean problemInfo, String authMethod) {
    return new WireSession.ClientTerms(5, maxPacketSize, aliasMax, problemInfo, false, authMethod);
  }

  @Test
  void connAckComesFirstAndOnce() {
    WireSession s = new WireSession();
    assertThatThrownBy(() -> feed(s, 4, PINGRESP)).hasMessageContaining("[MQTT-3.2.0-1]");
    WireSession ok = new WireSession();
    feed(ok, 4, CONNACK_311);
    feed(ok, 4, PINGRESP);
    assertThatThrownBy(() -> feed(ok, 4, CONNACK_311)).hasMessageContaining("second CONNACK");
    WireSession v5 = new WireSession();
    feed(v5, 5, CONNACK_5);
    assertThatThrownBy(() -> feed(v5, 5, CONNACK_5)).hasMessageContaining("[MQTT-3.2.0-2]");
  }

  @Test
  void authMayComeBeforeConnAckIn5() {
    WireSession s = new WireSession();
    s.connectSent(terms(0, 0, true, "TEST"));
    feed(s, 5, b(0xF0, 0x09, 0x18, 0x07, 0x15, 0x00, 0x04, 'T', 'E', 'S', 'T'));
    assertThatCode(
            () -> feed(s, 5, b(0x20, 0x0A, 0x00, 0x00, 0x07, 0x15, 0x00, 0x04, 'T', 'E', 'S', 'T')))
        .doesNotThrowAnyException();
  }

  @Test
  void nothingAfterARefusingConnAckOrADisconnect() {
    WireSession refused = new WireSession();
    feed(refused, 4, b(0x20, 0x02, 0x00, 0x05));
    assertThatThrownBy(() -> feed(refused, 4, PINGRESP)).hasMessageContaining("[MQTT-3.2.2-5]");
    WireSession disconnected = new WireSession();
    feed(disconnected, 5, CONNACK_5);
    feed(disconnected, 5, b(0xE0, 0x01, 0x8B));
    assertThatThrownBy(() -> feed(disconnected, 5, PINGRESP))
        .hasMessageContaining("[MQTT-3.14.4-1]");
  }

  @Test
  void theClientsMaximumPacketSizeAndTopicAliasMaximumBind() {
    // PUBLISH QoS 0 "t", Topic Alias 2, payload "xy": 11 bytes in all
    byte[] aliased = b(0x30, 0x09, 0x00, 0x01, 't', 0x03, 0x23, 0x00, 0x02, 'x', 'y');
    WireSession roomy = new WireSession();
    roomy.connectSent(terms(11, 2, true, null));
    feed(roomy, 5, CONNACK_5);
    assertThatCode(() -> feed(roomy, 5, aliased)).doesNotThrowAnyException();

    WireSession small = new WireSession();
    small.connectSent(terms(10, 2, true, null));
    feed(small, 5, CONNACK_5);
    assertThatThrownBy(() -> feed(small, 5, aliased)).hasMessageContaining("[MQTT-3.1.2-24]");

    WireSession oneAlias = new WireSession();
    oneAlias.connectSent(terms(0, 1, true, null));
    feed(oneAlias, 5, CONNACK_5);
    assertThatThrownBy(() -> feed(oneAlias, 5, aliased)).hasMessageContaining("[MQTT-3.1.2-26]");

    WireSession noAliases = new WireSession();
    noAliases.connectSent(terms(0, 0, true, null));
    feed(noAliases, 5, CONNACK_5);
    assertThatThrownBy(() -> feed(noAliases, 5, aliased)).hasMessageContaining("[MQTT-3.1.2-27]");
  }

  @Test
  void noProblemInformationWhenTheClientAskedForNone() {
    // PUBACK 1, Quota exceeded, Reason String "q"
    byte[] pubAck = b(0x40, 0x08, 0x00, 0x01, 0x97, 0x04, 0x1F, 0x00, 0x01, 'q');
    WireSession s = new WireSession();
    s.connectSent(terms(0, 0, false, null));
    feed(s, 5, CONNACK_5);
    assertThatThrownBy(() -> feed(s, 5, pubAck)).hasMessageContaining("[MQTT-3.1.2-29]");
    WireSession asked = new WireSession();
    asked.connectSent(terms(0, 0, true, null));
    feed(asked, 5, CONNACK_5);
    assertThatCode(() -> feed(asked, 5, pubAck)).doesNotThrowAnyException();
  }

  @Test
  void noResponseInformationUnlessRequested() {
    WireSession s = new WireSession();
    s.connectSent(terms(0, 0, true, null));
    byte[] connAck = b(0x20, 0x07, 0x00, 0x00, 0x04, 0x1A, 0x00, 0x01, 'r');
    assertThatThrownBy(() -> feed(s, 5, connAck)).hasMessageContaining("[MQTT-3.1.2-28]");
  }

  @Test
  void theAuthenticationMethodOfConnectIsKept() {
    WireSession none = new WireSession();
    none.connectSent(terms(0, 0, true, null));
    assertThatThrownBy(
            () -> feed(none, 5, b(0xF0, 0x09, 0x18, 0x07, 0x15, 0x00, 0x04, 'T', 'E', 'S', 'T')))
        .hasMessageContaining("[MQTT-4.12.0-6]");

    WireSession other = new WireSession();
    other.connectSent(terms(0, 0, true, "SCRAM"));
    assertThatThrownBy(
            () -> feed(other, 5, b(0xF0, 0x09, 0x18, 0x07, 0x15, 0x00, 0x04, 'T', 'E', 'S', 'T')))
        .hasMessageContaining("[MQTT-4.12.0-5]");

    WireSession bare = new WireSession();
    bare.connectSent(terms(0, 0, true, "TEST"));
    assertThatThrownBy(() -> feed(bare, 5, CONNACK_5)) // a successful CONNACK without the method
        .hasMessageContaining("[MQTT-4.12.0-5]");
  }
}
