package io.starling.broker.transport;

import io.starling.broker.logging.LogText;
import io.starling.broker.logging.RateLimitedLog;
import io.starling.broker.threading.AnyThread;
import io.starling.codec.MqttVersion;
import io.starling.codec.ReasonCode;
import io.starling.codec.netty.MqttDecoder;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One INFO line for each connection the broker ends other than at the client's request: a protocol
 * error, a keep-alive timeout, a packet too large, a takeover, a slow subscriber, a refused
 * CONNECT. A 3.1.1 client cannot be told why (that version has no DISCONNECT from the server), so
 * the log is where the operator finds it; a 5.0 client's line also names the reason code its
 * DISCONNECT or CONNACK carried. A client's DISCONNECT and the broker's shutdown write none.
 *
 * <pre>
 *   client sensor-7 from /10.0.0.5:50122 (MQTT 3.1.1) closed by the broker: Keep Alive timeout: no
 *     packet within 1.5 times the keep-alive
 *   client cam-2 from /10.0.0.9:41870 (MQTT 5.0) closed by the broker: 0x95 Packet too large: ...
 *   client probe from /10.0.0.3:40022 (MQTT 3.1.1) refused: Bad User Name or Password
 * </pre>
 *
 * What the client chose (its id, and any text of its packets in the explanation) goes through
 * {@link LogText#untrusted}; the lines are rate-limited together ({@value #LINES_PER_SECOND} a
 * second, the rest counted in the next line), since a client can repeat what gets it closed. Any
 * thread; nothing is kept per connection.
 */
@AnyThread
final class CloseLog {
  static final int LINES_PER_SECOND = 20;

  private static final Logger log = LoggerFactory.getLogger(CloseLog.class);
  private static final RateLimitedLog lines = new RateLimitedLog(log, LINES_PER_SECOND, 1);

  private CloseLog() {}

  /**
   * The broker ends {@code state}'s connection for {@code reason} (the cause, whether or not a
   * DISCONNECT can say it), explained by {@code why} (may be null).
   */
  static void closed(ConnectionState state, ReasonCode reason, String why) {
    if (reason == ReasonCode.SERVER_SHUTTING_DOWN) {
      return; // every connection ends at shutdown, and the broker says so once
    }
    write(state, state.clientId(), "closed by the broker", reason, why);
  }

  /** The broker closes {@code state}'s connection without a reason code, because {@code why}. */
  static void closed(ConnectionState state, String why) {
    write(state, state.clientId(), "closed by the broker", null, why);
  }

  /** A CONNECT with {@code clientId} (null if unknown) refused with CONNACK {@code reason}. */
  static void refused(ConnectionState state, String clientId, ReasonCode reason, String why) {
    write(state, clientId, "refused", reason, why);
  }

  private static void write(
      ConnectionState state, String clientId, String what, ReasonCode reason, String why) {
    if (!log.isInfoEnabled()) {
      return;
    }
    StringBuilder cause = new StringBuilder(64);
    if (reason != null) {
      if (state.isV5()) { // the code the client was (or would have been) told
        cause.append(String.format(Locale.ROOT, "0x%02X ", reason.value()));
      }
      cause.append(reason.description());
    }
    if (why != null) {
      cause.append(cause.length() == 0 ? "" : ": ").append(LogText.untrusted(why));
    }
    lines.info(
        "client {} from {} ({}) {}: {}",
        clientId == null ? "(none yet)" : LogText.untrusted(clientId),
        LogText.untrusted(String.valueOf(state.ctx().channel().remoteAddress())),
        version(state),
        what,
        cause);
  }

  /** The version the connection's CONNECT named, as the decoder read it. */
  private static String version(ConnectionState state) {
    MqttVersion v =
        state.ctx().pipeline().get("decoder") instanceof MqttDecoder d ? d.version() : null;
    if (v == null) {
      return "no CONNECT read";
    }
    return switch (v) {
      case V3_1 -> "MQTT 3.1";
      case V3_1_1 -> "MQTT 3.1.1";
      case V5 -> "MQTT 5.0";
    };
  }
}
