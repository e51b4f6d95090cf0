package io.starling.testkit;

/**
 * The rules on a server's packets that span a connection, checked on each packet {@link WireReader}
 * has read: CONNACK first and once, nothing after a DISCONNECT or a refusing CONNACK, and, once the
 * client's CONNECT is known, the limits and requests it set (Maximum Packet Size, Topic Alias
 * Maximum, Request Problem Information, Request Response Information, Authentication Method). Not
 * thread-safe: one per connection, used by the thread that reads it.
 */
public final class WireSession {
  /** What the client's CONNECT asked for, as far as the server's packets are bound by it. */
  public record ClientTerms(
      int protocolLevel,
      long maximumPacketSize,
      int topicAliasMaximum,
      boolean requestProblemInformation,
      boolean requestResponseInformation,
      String authenticationMethod) {}

  private ClientTerms terms;
  private boolean connAckSeen;
  private String ended;

  /** Records the CONNECT the client sent; {@code maximumPacketSize} 0 means none was given. */
  public void connectSent(ClientTerms terms) {
    this.terms = terms;
  }

  /**
   * Checks one more packet from the server.
   *
   * @param packet the packet as read
   * @param totalBytes its size, fixed header included
   * @throws WireFormatException when the server may not send it here
   */
  public void check(WirePacket packet, int totalBytes) {
    boolean v5 = packet.protocolLevel() == WireReader.MQTT_5;
    String name = packet.typeName();
    if (ended != null) {
      throw new WireFormatException(name + " after " + ended);
    }
    if (!connAckSeen && packet.type() != WireReader.CONNACK && !(v5 && isAuth(packet))) {
      throw new WireFormatException(
          name + " before CONNACK [MQTT-3.2.0-1]" + (v5 ? " (only AUTH may come first)" : ""));
    }
    if (packet.type() == WireReader.CONNACK) {
      if (connAckSeen) {
        throw new WireFormatException(
            "a second CONNACK on the connection" + (v5 ? " [MQTT-3.2.0-2]" : " (section 3.2)"));
      }
      connAckSeen = true;
      if (packet.reasonCode() != 0) {
        ended =
            "a refusing CONNACK, after which the server closes the connection "
                + (v5 ? "[MQTT-3.2.2-7]" : "[MQTT-3.2.2-5]");
      }
    }
    if (packet.type() == WireReader.DISCONNECT) {
      ended = "DISCONNECT, after which its sender sends nothing more [MQTT-3.14.4-1]";
    }
    if (v5 && terms != null && terms.protocolLevel() == WireReader.MQTT_5) {
      checkTerms(packet, totalBytes);
    }
  }

  private static boolean isAuth(WirePacket packet) {
    return packet.type() == WireReader.AUTH;
  }

  private void checkTerms(WirePacket packet, int totalBytes) {
    String name = packet.typeName();
    if (terms.maximumPacketSize() > 0 && totalBytes > terms.maximumPacketSize()) {
      throw new WireFormatException(
          name
              + " of "
              + totalBytes
              + " bytes is over the client's Maximum Packet Size of "
              + terms.maximumPacketSize()
              + " [MQTT-3.1.2-24]");
    }
    Object alias = packet.property(WireProperties.TOPIC_ALIAS);
    if (alias != null && (Integer) alias > terms.topicAliasMaximum()) {
      throw new WireFormatException(
          "Topic Alias "
              + alias
              + " is over the client's Topic Alias Maximum of "
              + terms.topicAliasMaximum()
              + (terms.topicAliasMaximum() == 0 ? " [MQTT-3.1.2-27]" : " [MQTT-3.1.2-26]"));
    }
    int type = packet.type();
    boolean problemInformationAllowed =
        type == WireReader.PUBLISH || type == WireReader.CONNACK || type == WireReader.DISCONNECT;
    if (!terms.requestProblemInformation()
        && !problemInformationAllowed
        && (packet.property(0x1F) != null
            || packet.property(WireProperties.USER_PROPERTY) != null)) {
      throw new WireFormatException(
          name
              + " carries a Reason String or User Property after Request Problem Information 0"
              + " [MQTT-3.1.2-29]");
    }
    if (type == WireReader.CONNACK
        && !terms.requestResponseInformation()
        && packet.property(0x1A) != null) {
      throw new WireFormatException(
          "CONNACK carries Response Information the client did not request [MQTT-3.1.2-28]");
    }
    checkAuthenticationMethod(packet);
  }

  private void checkAuthenticationMethod(WirePacket packet) {
    Object method = packet.property(WireProperties.AUTHENTICATION_METHOD);
    String asked = terms.authenticationMethod();
    boolean auth = packet.type() == WireReader.AUTH;
    boolean acceptingConnAck = packet.type() == WireReader.CONNACK && packet.reasonCode() == 0;
    if (asked == null) {
      if (auth || (packet.type() == WireReader.CONNACK && method != null)) {
        throw new WireFormatException(
            packet.typeName()
                + (auth ? "" : " with an Authentication Method")
                + " though the CONNECT named no Authentication Method [MQTT-4.12.0-6]");
      }
    } else if ((auth || acceptingConnAck) && !asked.equals(method)) {
      throw new WireFormatException(
          packet.typeName()
              + " carries Authentication Method "
              + method
              + ", not the CONNECT's "
              + asked
              + " [MQTT-4.12.0-5]");
    }
  }
}
