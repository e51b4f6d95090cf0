package io.starling.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.starling.codec.CodecLimits;
import io.starling.codec.MalformedPacketException;
import io.starling.codec.MqttVersion;
import io.starling.codec.packet.Connect;
import io.starling.codec.packet.MqttPacket;
import io.starling.codec.packet.Properties;
import io.starling.codec.packet.PropertyId;
import io.starling.codec.wire.PacketDecoder;
import io.starling.codec.wire.PacketEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * A blocking MQTT client over a plain socket that sends whatever it is told, well-formed or not,
 * and reads packets back with Starling's codec. For tests of what real clients never send.
 *
 * <p>Every packet read is also read by {@link WireReader}, an independent parser written from the
 * specifications, and the two readings are compared by {@link WireCrossCheck}: a packet the
 * specification forbids a server to send, or one the codec decodes differently from its bytes,
 * fails the read with an {@link AssertionError}. So a codec bug cannot make a test pass.
 */
public final class RawClient implements AutoCloseable {
  /** How the codec side decodes a packet body; replaced in tests of the cross-check itself. */
  @FunctionalInterface
  interface Decoding {
    MqttPacket decode(int firstByte, ByteBuf body, MqttVersion version);
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final Decoding decoding;
  private MqttVersion version;
  private byte[] lastPacket = new byte[0];
  private final WireSession session = new WireSession();

  private RawClient(Socket socket, MqttVersion version, Decoding decoding) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.version = version;
    this.decoding = decoding;
  }

  /** Opens a socket to {@code host:port}; packets are written and read as {@code version}. */
  public static RawClient connect(String host, int port, MqttVersion version) throws IOException {
    PacketDecoder decoder =
        new PacketDecoder(CodecLimits.DEFAULTS.withMaxPacketSizeBytes(16 << 20));
    return connect(host, port, version, decoder::decode);
  }

  /** As {@link #connect(String, int, MqttVersion)}, with another codec-side decoding. */
  static RawClient connect(String host, int port, MqttVersion version, Decoding decoding)
      throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(host, port), 5000);
    s.setTcpNoDelay(true);
    s.setSoTimeout(5000);
    return new RawClient(s, version, decoding);
  }

  /** Opens a socket to {@code 127.0.0.1:port} speaking MQTT 3.1.1. */
  public static RawClient connect(int port) throws IOException {
    return connect("127.0.0.1", port, MqttVersion.V3_1_1);
  }

  /** Writes raw bytes. */
  public RawClient send(byte... bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** Writes a packet encoded for this client's version (CONNECT: for its own version). */
  public RawClient send(MqttPacket packet) throws IOException {
    if (packet instanceof Connect c) {
      session.connectSent(terms(c));
    }
    ByteBuf buf = PacketEncoder.encode(packet, version, ByteBufAllocator.DEFAULT);
    try {
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      return send(bytes);
    } finally {
      buf.release();
    }
  }

  /**
   * Reads the next packet, waiting up to {@code timeout}, and checks it against {@link WireReader}.
   *
   * @throws SocketTimeoutException if none arrives in time
   * @throws IOException if the connection is closed
   * @throws AssertionError if the packet is one a server may not send, or the codec's decoding
   *     differs from the independent reading in any field
   */
  public MqttPacket read(Duration timeout) throws IOException {
    socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
    int first = in.read();
    if (first < 0) {
      throw new IOException("connection closed by the broker");
    }
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write(first);
    ByteArrayOutputStream lengthBytes = new ByteArrayOutputStream();
    int b;
    do {
      b = in.read();
      if (b < 0) {
        throw new IOException("connection closed inside a fixed header");
      }
      lengthBytes.write(b);
    } while ((b & 0x80) != 0 && lengthBytes.size() < 4);
    frame.writeBytes(lengthBytes.toByteArray());
    int remaining;
    try {
      remaining = WireReader.remainingLength(lengthBytes.toByteArray());
    } catch (WireFormatException e) {
      lastPacket = frame.toByteArray();
      throw new AssertionError("the broker sent a bad fixed header: " + e.getMessage(), e);
    }
    byte[] body = in.readNBytes(remaining);
    frame.writeBytes(body);
    lastPacket = frame.toByteArray();
    if (body.length < remaining) {
      throw new IOException("connection closed inside a packet");
    }
    return crossChecked(first, body);
  }

  /** Decodes with the codec and with {@link WireReader}, and fails unless both agree. */
  private MqttPacket crossChecked(int first, byte[] body) {
    MqttPacket decoded = null;
    MalformedPacketException refused = null;
    try {
      decoded = decoding.decode(first, Unpooled.wrappedBuffer(body), version);
    } catch (MalformedPacketException e) {
      refused = e;
    }
    WirePacket wire;
    try {
      wire = WireReader.read(lastPacket, version.level());
    } catch (WireFormatException e) {
      AssertionError error =
          new AssertionError(
              "the broker sent a packet no server may send: "
                  + e.getMessage()
                  + (refused != null ? " (the codec refused it too)" : "")
                  + "; bytes "
                  + hex(lastPacket),
              e);
      if (refused != null) {
        error.addSuppressed(refused);
      }
      throw error;
    }
    if (refused != null) {
      throw new AssertionError(
          "the codec refused a packet the independent reader accepts as " + wire, refused);
    }
    WireCrossCheck.check(wire, decoded);
    try {
      session.check(wire, lastPacket.length);
    } catch (WireFormatException e) {
      throw new AssertionError(
          "the broker broke a rule of the connection: " + e.getMessage() + "; " + wire, e);
    }
    return decoded;
  }

  /** What a CONNECT asks of the server's packets (MQTT 5.0 section 3.1.2.11). */
  private static WireSession.ClientTerms terms(Connect c) {
    Properties p = c.properties();
    return new WireSession.ClientTerms(
        c.version().level(),
        p.longValue(PropertyId.MAXIMUM_PACKET_SIZE).orElse(0),
        p.intValue(PropertyId.TOPIC_ALIAS_MAXIMUM).orElse(0),
        p.intValue(PropertyId.REQUEST_PROBLEM_INFORMATION).orElse(1) == 1,
        p.intValue(PropertyId.REQUEST_RESPONSE_INFORMATION).orElse(0) == 1,
        p.stringValue(PropertyId.AUTHENTICATION_METHOD).orElse(null));
  }

  /**
   * The bytes of the last packet read (fixed header included), for tests that check the wire
   * directly; empty before the first read.
   */
  public byte[] lastPacketBytes() {
    return lastPacket.clone();
  }

  private static String hex(byte[] bytes) {
    int shown = Math.min(bytes.length, 64);
    return HexFormat.of().formatHex(bytes, 0, shown) + (shown < bytes.length ? "..." : "");
  }

  /** Reads the next packet within 5 seconds. */
  public MqttPacket read() throws IOException {
    return read(Duration.ofSeconds(5));
  }

  /** Reads the next packet and checks its type. */
  public <T extends MqttPacket> T read(Class<T> type) throws IOException {
    MqttPacket p = read();
    if (!type.isInstance(p)) {
      throw new AssertionError("expected " + type.getSimpleName() + " but got " + p);
    }
    return type.cast(p);
  }

  /**
   * Whether the broker closes the connection within {@code timeout}, discarding any packets it
   * sends before that.
   */
  public boolean isClosedWithin(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (System.nanoTime() < deadline) {
        long leftMillis = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        socket.setSoTimeout((int) leftMillis);
        if (in.read() < 0) {
          return true;
        }
      }
      return false;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by peer counts as closed
    }
  }

  /** Changes the version packets are written and read as. */
  public void version(MqttVersion v) {
    this.version = v;
  }

  /** Closes the socket abruptly, as a crashed client would (no DISCONNECT). */
  @Override
  public void close() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }
}
