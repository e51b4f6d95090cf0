package io.starling.broker.config;

import java.util.List;
import java.util.Objects;

/**
 * WebSocket settings of a {@code ws} or {@code wss} listener.
 *
 * @param path the HTTP path of the upgrade request, starting with {@code /}
 * @param allowedOrigins the values of the {@code Origin} header a browser may send, or {@code "*"}
 *     for any; empty allows only the broker's own origin while the listener lets anonymous clients
 *     in, and any origin otherwise (requests without the header, which non-browser clients send,
 *     are always allowed)
 */
public record WebSocketConfig(String path, List<String> allowedOrigins) {
  public static final WebSocketConfig DEFAULT = new WebSocketConfig("/mqtt", List.of());

  public WebSocketConfig {
    Objects.requireNonNull(path, "path");
    allowedOrigins = List.copyOf(allowedOrigins);
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path must start with '/', not '" + path + "'");
    }
  }
}
