package io.starling.broker.session;

import io.starling.broker.threading.EventLoopOnly;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Consumer;

/**
 * A session's QoS 1/2 messages sent and not yet acknowledged, by packet identifier, oldest first:
 * the order they are resent in on reconnect [MQTT-4.4.0-1]. Messages in flight from an earlier
 * connection that did not fit the new connection's Receive Maximum are marked unsent until the
 * window lets them go again [MQTT-3.3.4-9]; they keep their identifiers.
 *
 * <p>The packet-id counter survives {@link #clear}: a clean start must not hand out an identifier
 * the client may still associate with an old message. Created empty and cheap; the map itself is
 * made on first use, since most sessions of an idle fleet never need it.
 */
@EventLoopOnly
final class InflightWindow implements Iterable<OutboundMessage> {
  private LinkedHashMap<Integer, OutboundMessage> messages;
  private int nextPacketId = 1;

  /** Messages in flight from an earlier connection, not yet resent on this one. */
  private int unsent;

  /** How many messages are in flight (sent or waiting to be resent). */
  int size() {
    return messages == null ? 0 : messages.size();
  }

  /** How many of them wait to be resent on this connection. */
  int unsentCount() {
    return unsent;
  }

  /** How many count against the client's Receive Maximum now: those sent on this connection. */
  int outstanding() {
    return size() - unsent;
  }

  /** The message in flight with this identifier, or null. */
  OutboundMessage get(int packetId) {
    return messages == null ? null : messages.get(packetId);
  }

  /** Whether {@code m} is still the message in flight under its identifier. */
  boolean holds(OutboundMessage m) {
    return messages != null && messages.get(m.packetId) == m;
  }

  /** Adds a message under its {@link OutboundMessage#packetId}, as the newest. */
  void add(OutboundMessage m) {
    if (messages == null) {
      messages = new LinkedHashMap<>(8);
    }
    messages.put(m.packetId, m);
    if (m.unsent) {
      unsent++;
    }
  }

  /** Removes a message (acknowledged, or taken away); the caller releases it. */
  void remove(OutboundMessage m) {
    messages.remove(m.packetId);
    markSent(m);
  }

  /** Marks a message as waiting to be resent on this connection. */
  void markUnsent(OutboundMessage m) {
    if (!m.unsent) {
      m.unsent = true;
      unsent++;
    }
  }

  /** Marks a message as sent (resent, or acknowledged before it was) on this connection. */
  void markSent(OutboundMessage m) {
    if (m.unsent) {
      m.unsent = false;
      unsent--;
    }
  }

  /**
   * The messages, oldest first; removing through the iterator keeps the unsent count right. The
   * caller must not add while iterating.
   */
  @Override
  public Iterator<OutboundMessage> iterator() {
    if (messages == null) {
      return Collections.emptyIterator();
    }
    Iterator<OutboundMessage> it = messages.values().iterator();
    return new Iterator<>() {
      private OutboundMessage last;

      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public OutboundMessage next() {
        last = it.next();
        return last;
      }

      @Override
      public void remove() {
        it.remove();
        markSent(last);
      }
    };
  }

  /** The messages, oldest first, read-only (for storage). */
  Iterable<OutboundMessage> messages() {
    return messages == null ? List.of() : Collections.unmodifiableCollection(messages.values());
  }

  /**
   * A packet identifier no message in flight uses. At most 65,535 messages are in flight (the
   * window is capped), so one exists.
   */
  int nextFreePacketId() {
    while (true) {
      int id = nextPacketId;
      nextPacketId = id == 0xFFFF ? 1 : id + 1;
      if (messages == null || !messages.containsKey(id)) {
        return id;
      }
    }
  }

  /** Empties the window, handing each message to {@code release}; the id counter goes on. */
  void clear(Consumer<OutboundMessage> release) {
    if (messages != null) {
      messages.values().forEach(release);
      messages = null;
    }
    unsent = 0;
  }
}
