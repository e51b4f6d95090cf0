package io.starling.broker.routing;

import io.starling.broker.model.SubOptions;
import io.starling.broker.threading.AnyThread;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The members of one shared subscription {@code $share/{shareName}/{filter}}: each matching message
 * goes to one of them (MQTT 5.0 section 4.8.2), chosen round-robin among connected members that
 * keep up, then among connected ones, then among the rest (whose sessions queue it). Only members
 * that may read the message's topic are candidates: a member the ACL withholds it from would drop
 * it, and the group would lose it. Thread-safe: members change rarely (copy on write), picks happen
 * on every message.
 */
@AnyThread
public final class SharedGroup {
  /** A subscriber in the group, with the options it subscribed with. */
  public record Member(Subscriber subscriber, SubOptions options) {}

  private final String shareName;
  private final String filter;
  private final List<Member> members = new CopyOnWriteArrayList<>();
  private final AtomicInteger next = new AtomicInteger();

  SharedGroup(String shareName, String filter) {
    this.shareName = shareName;
    this.filter = filter;
  }

  public String shareName() {
    return shareName;
  }

  public String filter() {
    return filter;
  }

  /** Adds or replaces a member; returns true if it was already a member. */
  boolean put(Subscriber session, SubOptions options) {
    boolean had = remove(session);
    members.add(new Member(session, options));
    return had;
  }

  /** Removes a member; returns true if it was one. */
  boolean remove(Subscriber session) {
    return members.removeIf(m -> m.subscriber() == session);
  }

  boolean isEmpty() {
    return members.isEmpty();
  }

  /**
   * The member to send the next message, on {@code topic}, to: never {@code exclude} (may be null)
   * nor one that may not read the topic; {@code null} if there is none.
   */
  public Member pick(Subscriber exclude, String topic) {
    Object[] all = members.toArray();
    int n = all.length;
    if (n == 0) {
      return null;
    }
    int start = Math.floorMod(next.getAndIncrement(), n);
    Member online = null;
    Member any = null;
    for (int i = 0; i < n; i++) {
      Member m = (Member) all[(start + i) % n];
      Subscriber s = m.subscriber();
      if (s == exclude || s.isDestroyed() || !s.mayReceive(topic)) {
        continue;
      }
      if (s.isOnline()) {
        if (!s.isCongested()) {
          return m;
        }
        online = online == null ? m : online;
      }
      any = any == null ? m : any;
    }
    return online != null ? online : any;
  }
}
