package io.starling.it;

import static io.starling.it.ItSupport.options;
import static io.starling.it.ItSupport.uniqueId;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.starling.broker.Broker;
import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.BrokerConfig.Listener;
import io.starling.broker.config.BrokerConfig.Listener.Kind;
import io.starling.broker.config.TlsConfig;
import io.starling.broker.config.TlsConfig.CertificateUsername;
import io.starling.broker.config.TlsConfig.ClientAuth;
import io.starling.broker.transport.ConnectionAttributes;
import io.starling.broker.transport.ListenerInitializer;
import io.starling.broker.transport.TlsContextSource;
import io.starling.cli.CertificateGenerator;
import io.starling.codec.packet.Connect;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the TLS listener leaves on the channel for authentication: the user name from the verified
 * client certificate ({@link ConnectionAttributes#CERTIFICATE_USERNAME}), already there when
 * CONNECT reaches the MQTT connection. The listener's pipeline runs on a test server socket with a
 * probe just in front of the connection handler.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CertificateUsernameIT {
  @TempDir static Path dir;
  private static CertificateGenerator.Files certs;
  private static Broker broker;
  private static EventLoopGroup group;

  @BeforeAll
  static void setUp() {
    certs = TlsSupport.certificates(dir, "device-7");
    broker = io.starling.testkit.TestBroker.start(BrokerConfig.defaults());
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterAll
  static void tearDown() {
    broker.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void theCommonNameOfAVerifiedCertificateIsLeftOnTheChannel() throws Exception {
    assertThat(usernameSeen(ClientAuth.REQUIRE, CertificateUsername.CN, true)).contains("device-7");
  }

  @Test
  void theAlternativeNameCanBeUsedInstead() throws Exception {
    assertThat(usernameSeen(ClientAuth.REQUEST, CertificateUsername.SAN, true))
        .contains("device-7");
  }

  @Test
  void withoutACertificateThereIsNoCertificateUserName() throws Exception {
    assertThat(usernameSeen(ClientAuth.REQUEST, CertificateUsername.CN, false)).isEmpty();
  }

  /** Connects Paho once through a listener pipeline; the attribute as CONNECT arrives. */
  private static Optional<String> usernameSeen(
      ClientAuth auth, CertificateUsername field, boolean presentCertificate) throws Exception {
    TlsConfig tls =
        TlsConfig.server(certs.serverCert(), certs.serverKey())
            .withClientAuth(auth, certs.ca(), field);
    Listener listener = Listener.of("mtls", Kind.TLS, "127.0.0.1", 0, tls);
    ListenerInitializer pipeline =
        new ListenerInitializer(broker, listener, TlsContextSource.load(tls, "test"));
    BlockingQueue<Optional<String>> seen = new ArrayBlockingQueue<>(1);
    Channel server =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(pipeline); // builds the listener's handlers now
                    // Just before the MQTT connection: what it sees when CONNECT arrives.
                    ch.pipeline()
                        .addBefore(
                            "mqtt",
                            "probe",
                            new ChannelInboundHandlerAdapter() {
                              @Override
                              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof Connect) {
                                  seen.add(
                                      Optional.ofNullable(
                                          ctx.channel()
                                              .attr(ConnectionAttributes.CERTIFICATE_USERNAME)
                                              .get()));
                                }
                                ctx.fireChannelRead(msg);
                              }
                            });
                  }
                })
            .bind(new InetSocketAddress("127.0.0.1", 0))
            .sync()
            .channel();
    try {
      int port = ((InetSocketAddress) server.localAddress()).getPort();
      SSLContext ctx =
          presentCertificate
              ? TlsSupport.clientContext(certs.ca(), certs.clientCert(), certs.clientKey())
              : TlsSupport.clientContext(certs.ca(), null, null);
      MqttClient c =
          new MqttClient("ssl://localhost:" + port, uniqueId("cn"), new MemoryPersistence());
      MqttConnectOptions o = options(true);
      o.setSocketFactory(ctx.getSocketFactory());
      c.connect(o);
      c.disconnect();
      c.close();
      Optional<String> result = seen.poll(10, TimeUnit.SECONDS);
      assertThat(result).as("CONNECT went through the probe").isNotNull();
      return result;
    } finally {
      server.close().sync();
    }
  }
}
