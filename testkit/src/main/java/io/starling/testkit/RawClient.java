package io.starling.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.starling.codec.CodecLimits;
import io.starling.codec.MqttVersion;
import io.starling.codec.VariableByteInteger;
import io.starling.codec.packet.MqttPacket;
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

/**
 * A blocking MQTT client over a plain socket that sends whatever it is told, well-formed or not,
 * and reads packets back with Starling's codec. For tests of what real clients never send.
 */
public final class RawClient implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final PacketDecoder decoder =
      new PacketDecoder(CodecLimits.DEFAULTS.withMaxPacketSizeBytes(16 << 20));
  private MqttVersion version;

  private RawClient(Socket socket, MqttVersion version) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.version = version;
  }

  /** Opens a socket to {@code host:port}; packets are written and read as {@code version}. */
  public static RawClient connect(String host, int port, MqttVersion version) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(host, port), 5000);
    s.setTcpNoDelay(true);
    s.setSoTimeout(5000);
    return new RawClient(s, version);
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
   * Reads the next packet, waiting up to {@code timeout}.
   *
   * @throws SocketTimeoutException if none arrives in time
   * @throws IOException if the connection is closed
   */
  public MqttPacket read(Duration timeout) throws IOException {
    socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
    int first = in.read();
    if (first < 0) {
      throw new IOException("connection closed by the broker");
    }
    ByteArrayOutputStream lengthBytes = new ByteArrayOutputStream();
    int b;
    do {
      b = in.read();
      if (b < 0) {
        throw new IOException("connection closed inside a fixed header");
      }
      lengthBytes.write(b);
    } while ((b & 0x80) != 0 && lengthBytes.size() < 4);
    int remaining = VariableByteInteger.read(Unpooled.wrappedBuffer(lengthBytes.toByteArray()));
    byte[] body = in.readNBytes(remaining);
    if (body.length < remaining) {
      throw new IOException("connection closed inside a packet");
    }
    return decoder.decode(first, Unpooled.wrappedBuffer(body), version);
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
