package io.starling.broker.store.internal;

import io.starling.broker.model.SubOptions;
import io.starling.codec.QoS;
import io.starling.codec.packet.BinaryData;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.Property;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.packet.UserProperty;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The byte layout of stored keys and values. Numbers are big-endian, so that keys sort by session
 * and then by sequence number; every value starts with a format version byte.
 *
 * <pre>
 * session key      [u16 length][client id, UTF-8]
 * queue, inflight  [session key][u64 sequence number]
 * subscription     [session key][filter, UTF-8]
 * inbound QoS 2    [session key][u16 packet id]
 * retained         [topic, UTF-8]
 *
 * session value    [u8 2][i64 expiry seconds][i64 disconnected at, epoch ms; 0 while connected]
 *                  [u8 owner flags: 1 user name, 2 grants][string user name, if flag 1]
 *                  [u16 n][string publish grant] x n  [u16 n][string subscribe grant] x n (flag 2)
 *   (format 1, written before sessions had owners, stops after the disconnection time: the owner
 *   is unknown)
 * subscription     [u8 1][u8 qos][u8 flags: 1 no local, 2 retain as published][i32 subscription id]
 * inflight         [u8 1][u16 packet id][u8 1 if PUBREL was sent]
 * message          [u8 1][u8 qos][u8 retain][i64 expires at, epoch ms; 0 never]
 *                  [u16 n][i32 subscription id] x n  [string topic]
 *                  [u16 n][u8 property id][value] x n  [i32 length][payload]
 * string           [i32 length][UTF-8]
 * </pre>
 */
public final class StoreCodec {
  private static final byte VERSION = 1;

  /** The format of session values that carry their owner. */
  private static final byte SESSION_WITH_OWNER = 2;

  /** Grants of one kind a session record may carry, so that a bad count allocates little. */
  private static final int MAX_GRANTS = 65535;

  private StoreCodec() {}

  /** A message as stored: one copy for one session, or a retained message. */
  public record StoredMessage(
      String topic,
      QoS qos,
      boolean retain,
      long expiresAtMillis,
      int[] subscriptionIds,
      Properties properties,
      byte[] payload) {}

  /**
   * A session record.
   *
   * @param owner who created the session, or {@code null} for a record written before sessions had
   *     owners
   */
  public record StoredSession(long expirySeconds, long disconnectedAtMillis, StoredOwner owner) {
    /** A record without an owner (the older format). */
    public StoredSession(long expirySeconds, long disconnectedAtMillis) {
      this(expirySeconds, disconnectedAtMillis, null);
    }
  }

  /**
   * The identity that owns a session, in the store's terms.
   *
   * @param username the user name, or {@code null} for an anonymous client
   * @param publishGrants the topic filters its credentials let it publish to, or {@code null} when
   *     the ACL file decides (then {@code subscribeGrants} is null too)
   * @param subscribeGrants the filters its credentials let it subscribe within, or {@code null}
   */
  public record StoredOwner(
      String username, List<String> publishGrants, List<String> subscribeGrants) {
    public StoredOwner {
      if ((publishGrants == null) != (subscribeGrants == null)) {
        throw new IllegalArgumentException("grants come in pairs: publish and subscribe");
      }
      publishGrants = publishGrants == null ? null : List.copyOf(publishGrants);
      subscribeGrants = subscribeGrants == null ? null : List.copyOf(subscribeGrants);
    }
  }

  /** An in-flight record. */
  public record StoredInflight(int packetId, boolean released) {}

  // ---- keys -----------------------------------------------------------------------------------

  public static byte[] sessionKey(String clientId) {
    byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
    byte[] key = new byte[2 + id.length];
    key[0] = (byte) (id.length >>> 8);
    key[1] = (byte) id.length;
    System.arraycopy(id, 0, key, 2, id.length);
    return key;
  }

  public static byte[] seqKey(byte[] sessionKey, long seq) {
    byte[] key = Arrays.copyOf(sessionKey, sessionKey.length + 8);
    ByteBuffer.wrap(key, sessionKey.length, 8).putLong(seq);
    return key;
  }

  public static byte[] stringKey(byte[] sessionKey, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    byte[] key = Arrays.copyOf(sessionKey, sessionKey.length + b.length);
    System.arraycopy(b, 0, key, sessionKey.length, b.length);
    return key;
  }

  public static byte[] packetIdKey(byte[] sessionKey, int packetId) {
    byte[] key = Arrays.copyOf(sessionKey, sessionKey.length + 2);
    key[sessionKey.length] = (byte) (packetId >>> 8);
    key[sessionKey.length + 1] = (byte) packetId;
    return key;
  }

  /** The client id a session-scoped key starts with. */
  public static String clientIdOf(byte[] key) {
    int len = sessionKeyLength(key) - 2;
    return new String(key, 2, len, StandardCharsets.UTF_8);
  }

  /** The length of the session key at the start of {@code key}. */
  public static int sessionKeyLength(byte[] key) {
    if (key.length < 2) {
      throw new IllegalArgumentException("key shorter than its length prefix");
    }
    int len = ((key[0] & 0xFF) << 8) | (key[1] & 0xFF);
    if (key.length < 2 + len) {
      throw new IllegalArgumentException("key shorter than its client id");
    }
    return 2 + len;
  }

  public static long seqOf(byte[] key) {
    int at = sessionKeyLength(key);
    if (key.length != at + 8) {
      throw new IllegalArgumentException("sequence key of " + key.length + " bytes");
    }
    return ByteBuffer.wrap(key, at, 8).getLong();
  }

  public static String suffixString(byte[] key) {
    int at = sessionKeyLength(key);
    return new String(key, at, key.length - at, StandardCharsets.UTF_8);
  }

  public static int packetIdOf(byte[] key) {
    int at = sessionKeyLength(key);
    if (key.length != at + 2) {
      throw new IllegalArgumentException("packet id key of " + key.length + " bytes");
    }
    return ((key[at] & 0xFF) << 8) | (key[at + 1] & 0xFF);
  }

  // ---- values ---------------------------------------------------------------------------------

  /** A session record in the older format, without its owner (tests of reading old stores). */
  public static byte[] session(long expirySeconds, long disconnectedAtMillis) {
    return ByteBuffer.allocate(17)
        .put(VERSION)
        .putLong(expirySeconds)
        .putLong(disconnectedAtMillis)
        .array();
  }

  /** A session record with its owner. */
  public static byte[] session(long expirySeconds, long disconnectedAtMillis, StoredOwner owner) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(SESSION_WITH_OWNER);
      out.writeLong(expirySeconds);
      out.writeLong(disconnectedAtMillis);
      boolean grants = owner.publishGrants() != null;
      out.writeByte((owner.username() != null ? 1 : 0) | (grants ? 2 : 0));
      if (owner.username() != null) {
        writeString(out, owner.username());
      }
      if (grants) {
        writeStrings(out, owner.publishGrants());
        writeStrings(out, owner.subscribeGrants());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  /** Reads a session record of either format. */
  public static StoredSession session(byte[] v) {
    if (v.length > 0 && v[0] == SESSION_WITH_OWNER) {
      ByteBuffer b = ByteBuffer.wrap(v, 1, v.length - 1);
      long expiry = b.getLong();
      long disconnectedAt = b.getLong();
      int flags = b.get();
      if ((flags & ~3) != 0) {
        throw new IllegalArgumentException("unknown owner flags " + flags);
      }
      String user = (flags & 1) != 0 ? readString(b) : null;
      List<String> publish = (flags & 2) != 0 ? readStrings(b) : null;
      List<String> subscribe = (flags & 2) != 0 ? readStrings(b) : null;
      if (b.hasRemaining()) {
        throw new IllegalArgumentException(b.remaining() + " bytes after the session record");
      }
      return new StoredSession(expiry, disconnectedAt, new StoredOwner(user, publish, subscribe));
    }
    ByteBuffer b = versioned(v, 17);
    return new StoredSession(b.getLong(), b.getLong());
  }

  public static byte[] subscription(SubOptions o) {
    int flags = (o.noLocal() ? 1 : 0) | (o.retainAsPublished() ? 2 : 0);
    return ByteBuffer.allocate(7)
        .put(VERSION)
        .put((byte) o.qos().value())
        .put((byte) flags)
        .putInt(o.subscriptionId())
        .array();
  }

  public static SubOptions subscription(byte[] v) {
    ByteBuffer b = versioned(v, 7);
    QoS qos = QoS.of(b.get());
    int flags = b.get();
    return SubOptions.of(qos, (flags & 1) != 0, (flags & 2) != 0, b.getInt());
  }

  public static byte[] inflight(int packetId, boolean released) {
    return ByteBuffer.allocate(4)
        .put(VERSION)
        .putShort((short) packetId)
        .put((byte) (released ? 1 : 0))
        .array();
  }

  public static StoredInflight inflight(byte[] v) {
    ByteBuffer b = versioned(v, 4);
    int id = b.getShort() & 0xFFFF;
    if (id == 0) {
      throw new IllegalArgumentException("packet id 0");
    }
    return new StoredInflight(id, b.get() != 0);
  }

  public static byte[] marker() {
    return new byte[] {VERSION};
  }

  public static byte[] message(StoredMessage m) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + m.payload().length);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeByte(m.qos().value());
      out.writeByte(m.retain() ? 1 : 0);
      out.writeLong(m.expiresAtMillis());
      int[] ids = m.subscriptionIds() == null ? new int[0] : m.subscriptionIds();
      out.writeShort(ids.length);
      for (int id : ids) {
        out.writeInt(id);
      }
      writeString(out, m.topic());
      List<Property> props = m.properties().entries();
      out.writeShort(props.size());
      for (Property p : props) {
        out.writeByte(p.id().id());
        writeValue(out, p);
      }
      out.writeInt(m.payload().length);
      out.write(m.payload());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  /**
   * Reads a message.
   *
   * @throws IllegalArgumentException (or {@link java.nio.BufferUnderflowException}) if it is not
   *     one
   */
  public static StoredMessage message(byte[] v) {
    ByteBuffer b = versioned(v, 14);
    QoS qos = QoS.of(b.get());
    boolean retain = b.get() != 0;
    long expires = b.getLong();
    int[] ids = new int[b.getShort() & 0xFFFF];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = b.getInt();
    }
    String topic = readString(b);
    int n = b.getShort() & 0xFFFF;
    List<Property> props = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      PropertyId id = PropertyId.of(b.get() & 0xFF);
      props.add(new Property(id, readValue(b, id)));
    }
    byte[] payload = new byte[length(b)];
    b.get(payload);
    if (b.hasRemaining()) {
      throw new IllegalArgumentException(b.remaining() + " bytes after the payload");
    }
    return new StoredMessage(
        topic, qos, retain, expires, ids.length == 0 ? null : ids, Properties.of(props), payload);
  }

  private static void writeValue(DataOutputStream out, Property p) throws IOException {
    switch (p.id().type()) {
      case BYTE, TWO_BYTE_INTEGER, VARIABLE_BYTE_INTEGER -> out.writeInt((Integer) p.value());
      case FOUR_BYTE_INTEGER -> out.writeLong((Long) p.value());
      case UTF8_STRING -> writeString(out, (String) p.value());
      case BINARY_DATA -> {
        byte[] data = ((BinaryData) p.value()).toByteArray();
        out.writeInt(data.length);
        out.write(data);
      }
      case UTF8_STRING_PAIR -> {
        UserProperty u = (UserProperty) p.value();
        writeString(out, u.name());
        writeString(out, u.value());
      }
    }
  }

  private static Object readValue(ByteBuffer b, PropertyId id) {
    return switch (id.type()) {
      case BYTE, TWO_BYTE_INTEGER, VARIABLE_BYTE_INTEGER -> b.getInt();
      case FOUR_BYTE_INTEGER -> b.getLong();
      case UTF8_STRING -> readString(b);
      case BINARY_DATA -> {
        byte[] data = new byte[length(b)];
        b.get(data);
        yield BinaryData.of(data);
      }
      case UTF8_STRING_PAIR -> new UserProperty(readString(b), readString(b));
    };
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static void writeStrings(DataOutputStream out, List<String> list) throws IOException {
    if (list.size() > MAX_GRANTS) {
      throw new IllegalArgumentException(list.size() + " grants, at most " + MAX_GRANTS);
    }
    out.writeShort(list.size());
    for (String s : list) {
      writeString(out, s);
    }
  }

  private static List<String> readStrings(ByteBuffer b) {
    int n = b.getShort() & 0xFFFF;
    List<String> out = new ArrayList<>(Math.min(n, b.remaining() / 4));
    for (int i = 0; i < n; i++) {
      out.add(readString(b));
    }
    return out;
  }

  private static String readString(ByteBuffer b) {
    byte[] s = new byte[length(b)];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }

  /** A length field, checked against what is left so that a bad one allocates nothing. */
  private static int length(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0 || n > b.remaining()) {
      throw new IllegalArgumentException("length " + n + " with " + b.remaining() + " bytes left");
    }
    return n;
  }

  private static ByteBuffer versioned(byte[] v, int minLength) {
    if (v.length < minLength) {
      throw new IllegalArgumentException("value of " + v.length + " bytes, expected " + minLength);
    }
    if (v[0] != VERSION) {
      throw new IllegalArgumentException("unknown format version " + v[0]);
    }
    return ByteBuffer.wrap(v, 1, v.length - 1);
  }
}
