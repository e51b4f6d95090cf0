package io.starling.codec;

import java.util.EnumSet;
import java.util.Set;

/**
 * MQTT 5.0 reason codes (specification section 2.4), also used to carry MQTT 3.1.1 CONNACK return
 * codes and SUBACK return codes, which map onto a subset of them (see {@link
 * #v3ConnectReturnCode}).
 *
 * <p>The value 0x00 means "Success", "Normal disconnection" or "Granted QoS 0" depending on the
 * packet; it is one constant here, {@link #SUCCESS}.
 */
public enum ReasonCode {
  SUCCESS(0x00, "Success"),
  GRANTED_QOS_1(0x01, "Granted QoS 1"),
  GRANTED_QOS_2(0x02, "Granted QoS 2"),
  DISCONNECT_WITH_WILL(0x04, "Disconnect with Will Message"),
  NO_MATCHING_SUBSCRIBERS(0x10, "No matching subscribers"),
  NO_SUBSCRIPTION_EXISTED(0x11, "No subscription existed"),
  CONTINUE_AUTHENTICATION(0x18, "Continue authentication"),
  REAUTHENTICATE(0x19, "Re-authenticate"),
  UNSPECIFIED_ERROR(0x80, "Unspecified error"),
  MALFORMED_PACKET(0x81, "Malformed Packet"),
  PROTOCOL_ERROR(0x82, "Protocol Error"),
  IMPLEMENTATION_SPECIFIC_ERROR(0x83, "Implementation specific error"),
  UNSUPPORTED_PROTOCOL_VERSION(0x84, "Unsupported Protocol Version"),
  CLIENT_IDENTIFIER_NOT_VALID(0x85, "Client Identifier not valid"),
  BAD_USER_NAME_OR_PASSWORD(0x86, "Bad User Name or Password"),
  NOT_AUTHORIZED(0x87, "Not authorized"),
  SERVER_UNAVAILABLE(0x88, "Server unavailable"),
  SERVER_BUSY(0x89, "Server busy"),
  BANNED(0x8A, "Banned"),
  SERVER_SHUTTING_DOWN(0x8B, "Server shutting down"),
  BAD_AUTHENTICATION_METHOD(0x8C, "Bad authentication method"),
  KEEP_ALIVE_TIMEOUT(0x8D, "Keep Alive timeout"),
  SESSION_TAKEN_OVER(0x8E, "Session taken over"),
  TOPIC_FILTER_INVALID(0x8F, "Topic Filter invalid"),
  TOPIC_NAME_INVALID(0x90, "Topic Name invalid"),
  PACKET_IDENTIFIER_IN_USE(0x91, "Packet Identifier in use"),
  PACKET_IDENTIFIER_NOT_FOUND(0x92, "Packet Identifier not found"),
  RECEIVE_MAXIMUM_EXCEEDED(0x93, "Receive Maximum exceeded"),
  TOPIC_ALIAS_INVALID(0x94, "Topic Alias invalid"),
  PACKET_TOO_LARGE(0x95, "Packet too large"),
  MESSAGE_RATE_TOO_HIGH(0x96, "Message rate too high"),
  QUOTA_EXCEEDED(0x97, "Quota exceeded"),
  ADMINISTRATIVE_ACTION(0x98, "Administrative action"),
  PAYLOAD_FORMAT_INVALID(0x99, "Payload format invalid"),
  RETAIN_NOT_SUPPORTED(0x9A, "Retain not supported"),
  QOS_NOT_SUPPORTED(0x9B, "QoS not supported"),
  USE_ANOTHER_SERVER(0x9C, "Use another server"),
  SERVER_MOVED(0x9D, "Server moved"),
  SHARED_SUBSCRIPTIONS_NOT_SUPPORTED(0x9E, "Shared Subscriptions not supported"),
  CONNECTION_RATE_EXCEEDED(0x9F, "Connection rate exceeded"),
  MAXIMUM_CONNECT_TIME(0xA0, "Maximum connect time"),
  SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED(0xA1, "Subscription Identifiers not supported"),
  WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED(0xA2, "Wildcard Subscriptions not supported");

  private static final ReasonCode[] BY_VALUE = new ReasonCode[256];

  static {
    for (ReasonCode c : values()) {
      BY_VALUE[c.value] = c;
    }
  }

  private final int value;
  private final String description;

  ReasonCode(int value, String description) {
    this.value = value;
    this.description = description;
  }

  /** The byte on the wire. */
  public int value() {
    return value;
  }

  /** The name the specification gives this code. */
  public String description() {
    return description;
  }

  /** Whether this code reports a failure (0x80 and above). */
  public boolean isError() {
    return value >= 0x80;
  }

  /** The code for a byte, or {@code null} when no code has that value. */
  public static ReasonCode of(int value) {
    return BY_VALUE[value & 0xFF];
  }

  /**
   * Whether this code may appear in the given packet type (MQTT 5.0 sections 3.2.2.2, 3.4.2.1,
   * 3.5.2.1, 3.6.2.1, 3.7.2.1, 3.9.3, 3.11.3, 3.14.2.1, 3.15.2.1).
   */
  public boolean isAllowedIn(PacketType type) {
    return allowedCodes(type).contains(this);
  }

  private static final Set<ReasonCode> CONNACK_CODES =
      EnumSet.of(
          SUCCESS,
          UNSPECIFIED_ERROR,
          MALFORMED_PACKET,
          PROTOCOL_ERROR,
          IMPLEMENTATION_SPECIFIC_ERROR,
          UNSUPPORTED_PROTOCOL_VERSION,
          CLIENT_IDENTIFIER_NOT_VALID,
          BAD_USER_NAME_OR_PASSWORD,
          NOT_AUTHORIZED,
          SERVER_UNAVAILABLE,
          SERVER_BUSY,
          BANNED,
          BAD_AUTHENTICATION_METHOD,
          TOPIC_NAME_INVALID,
          PACKET_TOO_LARGE,
          QUOTA_EXCEEDED,
          PAYLOAD_FORMAT_INVALID,
          RETAIN_NOT_SUPPORTED,
          QOS_NOT_SUPPORTED,
          USE_ANOTHER_SERVER,
          SERVER_MOVED,
          CONNECTION_RATE_EXCEEDED);
  private static final Set<ReasonCode> PUBACK_CODES =
      EnumSet.of(
          SUCCESS,
          NO_MATCHING_SUBSCRIBERS,
          UNSPECIFIED_ERROR,
          IMPLEMENTATION_SPECIFIC_ERROR,
          NOT_AUTHORIZED,
          TOPIC_NAME_INVALID,
          PACKET_IDENTIFIER_IN_USE,
          QUOTA_EXCEEDED,
          PAYLOAD_FORMAT_INVALID);
  private static final Set<ReasonCode> PUBREL_CODES =
      EnumSet.of(SUCCESS, PACKET_IDENTIFIER_NOT_FOUND);
  private static final Set<ReasonCode> SUBACK_CODES =
      EnumSet.of(
          SUCCESS,
          GRANTED_QOS_1,
          GRANTED_QOS_2,
          UNSPECIFIED_ERROR,
          IMPLEMENTATION_SPECIFIC_ERROR,
          NOT_AUTHORIZED,
          TOPIC_FILTER_INVALID,
          PACKET_IDENTIFIER_IN_USE,
          QUOTA_EXCEEDED,
          SHARED_SUBSCRIPTIONS_NOT_SUPPORTED,
          SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED,
          WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED);
  private static final Set<ReasonCode> UNSUBACK_CODES =
      EnumSet.of(
          SUCCESS,
          NO_SUBSCRIPTION_EXISTED,
          UNSPECIFIED_ERROR,
          IMPLEMENTATION_SPECIFIC_ERROR,
          NOT_AUTHORIZED,
          TOPIC_FILTER_INVALID,
          PACKET_IDENTIFIER_IN_USE);
  private static final Set<ReasonCode> DISCONNECT_CODES =
      EnumSet.of(
          SUCCESS,
          DISCONNECT_WITH_WILL,
          UNSPECIFIED_ERROR,
          MALFORMED_PACKET,
          PROTOCOL_ERROR,
          IMPLEMENTATION_SPECIFIC_ERROR,
          NOT_AUTHORIZED,
          SERVER_BUSY,
          SERVER_SHUTTING_DOWN,
          KEEP_ALIVE_TIMEOUT,
          SESSION_TAKEN_OVER,
          TOPIC_FILTER_INVALID,
          TOPIC_NAME_INVALID,
          RECEIVE_MAXIMUM_EXCEEDED,
          TOPIC_ALIAS_INVALID,
          PACKET_TOO_LARGE,
          MESSAGE_RATE_TOO_HIGH,
          QUOTA_EXCEEDED,
          ADMINISTRATIVE_ACTION,
          PAYLOAD_FORMAT_INVALID,
          RETAIN_NOT_SUPPORTED,
          QOS_NOT_SUPPORTED,
          USE_ANOTHER_SERVER,
          SERVER_MOVED,
          SHARED_SUBSCRIPTIONS_NOT_SUPPORTED,
          CONNECTION_RATE_EXCEEDED,
          MAXIMUM_CONNECT_TIME,
          SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED,
          WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED);
  private static final Set<ReasonCode> AUTH_CODES =
      EnumSet.of(SUCCESS, CONTINUE_AUTHENTICATION, REAUTHENTICATE);

  private static Set<ReasonCode> allowedCodes(PacketType type) {
    return switch (type) {
      case CONNACK -> CONNACK_CODES;
      case PUBACK, PUBREC -> PUBACK_CODES;
      case PUBREL, PUBCOMP -> PUBREL_CODES;
      case SUBACK -> SUBACK_CODES;
      case UNSUBACK -> UNSUBACK_CODES;
      case DISCONNECT -> DISCONNECT_CODES;
      case AUTH -> AUTH_CODES;
      default -> Set.of();
    };
  }

  /**
   * The MQTT 3.1/3.1.1 CONNACK return code for this reason code (3.1.1 section 3.2.2.3): 0
   * accepted, 1 unacceptable protocol version, 2 identifier rejected, 3 server unavailable, 4 bad
   * user name or password, 5 not authorized. Codes without an exact counterpart map to the nearest
   * one.
   */
  public int v3ConnectReturnCode() {
    return switch (this) {
      case SUCCESS -> 0;
      case UNSUPPORTED_PROTOCOL_VERSION -> 1;
      case CLIENT_IDENTIFIER_NOT_VALID -> 2;
      case BAD_USER_NAME_OR_PASSWORD, BAD_AUTHENTICATION_METHOD -> 4;
      case NOT_AUTHORIZED, BANNED -> 5;
      default -> 3;
    };
  }

  /**
   * The reason code for an MQTT 3.1/3.1.1 CONNACK return code, or {@code null} for a value above 5.
   */
  public static ReasonCode ofV3ConnectReturnCode(int returnCode) {
    return switch (returnCode) {
      case 0 -> SUCCESS;
      case 1 -> UNSUPPORTED_PROTOCOL_VERSION;
      case 2 -> CLIENT_IDENTIFIER_NOT_VALID;
      case 3 -> SERVER_UNAVAILABLE;
      case 4 -> BAD_USER_NAME_OR_PASSWORD;
      case 5 -> NOT_AUTHORIZED;
      default -> null;
    };
  }
}
