package io.starling.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.broker.config.BrokerConfig.Listener;
import io.starling.broker.config.BrokerConfig.Listener.Kind;
import io.starling.broker.config.TlsConfig.CertificateUsername;
import io.starling.broker.config.TlsConfig.ClientAuth;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListenersConfigTest {

  private static BrokerConfig parse(String... lines) throws ConfigException {
    return ConfigLoader.parse(String.join("\n", lines) + "\n", "t.yaml");
  }

  private static String error(String... lines) {
    try {
      parse(lines);
    } catch (ConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("no error for:\n" + String.join("\n", lines));
  }

  @Test
  void withoutListenersThereIsOneTcpListenerOn1883() throws Exception {
    assertThat(parse("sys:", "  interval_seconds: 5").listeners())
        .containsExactly(new Listener("tcp", Kind.TCP, "0.0.0.0", 1883, null, 0, null, null));
  }

  @Test
  void allFourKindsAreRead() throws Exception {
    BrokerConfig c =
        parse(
            "listeners:",
            "  - kind: tcp",
            "    allow_anonymous: false",
            "    max_connections: 500",
            "  - kind: tls",
            "    tls:",
            "      cert_file: s.pem",
            "      key_file: k.pem",
            "      protocols: [TLSv1.3]",
            "      ciphers: [TLS_AES_128_GCM_SHA256]",
            "      client_auth: require",
            "      ca_file: ca.pem",
            "      certificate_username: san",
            "      reload_interval_seconds: 0",
            "  - kind: ws",
            "    bind: 127.0.0.1",
            "    websocket:",
            "      path: /ws",
            "      allowed_origins: [https://a.example, https://b.example]",
            "  - kind: wss",
            "    name: browsers",
            "    port: 9443",
            "    tls:",
            "      cert_file: s.pem",
            "      key_file: k.pem");
    List<Listener> l = c.listeners();
    assertThat(l).extracting(Listener::name).containsExactly("tcp", "tls", "ws", "browsers");
    assertThat(l).extracting(Listener::port).containsExactly(1883, 8883, 8080, 9443);
    assertThat(l.get(0).allowAnonymous()).isFalse();
    assertThat(l.get(0).maxConnections()).isEqualTo(500);
    assertThat(l.get(1).allowAnonymous()).isNull();
    TlsConfig tls = l.get(1).tls();
    assertThat(tls.certFile()).isEqualTo(Path.of("s.pem"));
    assertThat(tls.protocols()).containsExactly("TLSv1.3");
    assertThat(tls.ciphers()).containsExactly("TLS_AES_128_GCM_SHA256");
    assertThat(tls.clientAuth()).isEqualTo(ClientAuth.REQUIRE);
    assertThat(tls.caFile()).isEqualTo(Path.of("ca.pem"));
    assertThat(tls.certificateUsername()).isEqualTo(CertificateUsername.SAN);
    assertThat(tls.reloadIntervalSeconds()).isZero();
    assertThat(l.get(2).bind()).isEqualTo("127.0.0.1");
    assertThat(l.get(2).websocket())
        .isEqualTo(new WebSocketConfig("/ws", List.of("https://a.example", "https://b.example")));
    assertThat(l.get(3).tls().protocols()).containsExactly("TLSv1.3", "TLSv1.2");
    assertThat(l.get(3).tls().clientAuth()).isEqualTo(ClientAuth.NONE);
    assertThat(l.get(3).websocket()).isEqualTo(WebSocketConfig.DEFAULT);
  }

  @Test
  void errorsNameTheListenerKeyAndLine() {
    assertThat(error("listeners:", "  - kind: quic"))
        .contains("t.yaml:2", "'listeners[0].kind' must be tcp, tls, ws or wss");
    assertThat(error("listeners:", "  - port: 1")).contains("'listeners[0].kind' is missing");
    assertThat(error("listeners:", "  - kind: tls", "    port: 1"))
        .contains("t.yaml:2", "'listeners[0].tls' is missing");
    assertThat(error("listeners:", "  - kind: tls", "    tls:", "      cert_file: a.pem"))
        .contains("t.yaml:4", "'listeners[0].tls.key_file' is missing");
    assertThat(
            error(
                "listeners:",
                "  - kind: tcp",
                "  - kind: tls",
                "    tls:",
                "      cert_file: a",
                "      key_file: b",
                "      client_auth: maybe"))
        .contains("t.yaml:7", "'listeners[1].tls.client_auth' must be none, request, require");
    assertThat(
            error(
                "listeners:",
                "  - kind: tls",
                "    tls:",
                "      cert_file: a",
                "      key_file: b",
                "      client_auth: require"))
        .contains("listeners[0].tls", "ca_file is needed when client_auth is require");
    assertThat(
            error(
                "listeners:",
                "  - kind: tls",
                "    tls: {cert_file: a, key_file: b, protocols: [SSLv3]}"))
        .contains("unknown TLS version 'SSLv3'");
    assertThat(
            error(
                "listeners:",
                "  - kind: tls",
                "    tls: {cert_file: a, key_file: b, protocols: TLSv1.3}"))
        .contains("'listeners[0].tls.protocols' must be a list");
    assertThat(error("listeners:", "  - kind: tcp", "    websocket: {path: /x}"))
        .contains("'listeners[0].websocket' only applies to ws and wss listeners");
    assertThat(error("listeners:", "  - kind: ws", "    websocket: {path: mqtt}"))
        .contains("'listeners[0].websocket.path' must start with '/'");
    assertThat(error("listeners:", "  - kind: ws", "    websocket: {paht: /mqtt}"))
        .contains("unknown key 'listeners[0].websocket.paht'");
    assertThat(error("listeners:", "  - kind: ws", "  - kind: ws"))
        .contains("t.yaml:3", "'listeners[1].name' is 'ws', already used by listeners[0]");
    assertThat(error("listeners:", "  - kind: tcp", "    max_connections: -1"))
        .contains("'listeners[0].max_connections' must be between 0");
    assertThat(error("listeners:", "  - kind: tcp", "    allow_anonymous: perhaps"))
        .contains("'listeners[0].allow_anonymous' must be true or false");
    assertThat(error("listeners: []")).contains("'listeners' must be a list of listeners");
    assertThat(error("listeners:", "  kind: tcp")).contains("'listeners' must be a list");
  }

  @Test
  void theFlagsOverrideTheFirstTcpListener() {
    TlsConfig tls = TlsConfig.server(Path.of("s.pem"), Path.of("k.pem"));
    BrokerConfig c =
        BrokerConfig.defaults()
            .withListeners(
                List.of(
                    Listener.of("secure", Kind.TLS, "0.0.0.0", 8883, tls),
                    Listener.tcp("plain", "0.0.0.0", 1883)));
    assertThat(c.withListener("127.0.0.1", 1999).listeners())
        .containsExactly(
            Listener.of("secure", Kind.TLS, "0.0.0.0", 8883, tls),
            Listener.tcp("plain", "127.0.0.1", 1999));
    BrokerConfig tlsOnly =
        BrokerConfig.defaults()
            .withListeners(List.of(Listener.of("secure", Kind.TLS, "0.0.0.0", 8883, tls)));
    assertThat(tlsOnly.withListener("127.0.0.1", 0).listeners())
        .extracting(Listener::name)
        .containsExactly("tcp", "secure");
  }

  @Test
  void mutualTlsSettingsMustFitTogether() {
    TlsConfig server = TlsConfig.server(Path.of("s.pem"), Path.of("k.pem"));
    assertThatThrownBy(() -> server.withClientAuth(ClientAuth.NONE, null, CertificateUsername.CN))
        .hasMessageContaining("certificate_username needs client_auth request or require");
    assertThatThrownBy(() -> Listener.of("x", Kind.TLS, "0.0.0.0", 1, null))
        .hasMessageContaining("needs a 'tls' section");
    assertThatThrownBy(() -> Listener.of("x", Kind.WS, "0.0.0.0", 1, server))
        .hasMessageContaining("'tls' only applies to tls and wss listeners");
  }
}
