package io.starling.broker.transport;

import io.netty.handler.ssl.SslContext;
import io.starling.broker.config.BrokerStartException;
import io.starling.broker.config.TlsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's current TLS context, rebuilt when its certificate, key or CA file changes. New
 * connections get the newest context; open connections keep the one they started with. A change
 * that does not load (a half-written file, a key that does not match yet) is logged and the old
 * context stays until the files load again.
 *
 * <p>Thread-safe: {@link #current} is read on event loops, {@link #reloadIfChanged} runs on the
 * broker's reload thread (it reads files, so never on an event loop).
 */
public final class TlsContextSource {
  private static final Logger log = LoggerFactory.getLogger(TlsContextSource.class);

  private final TlsConfig config;
  private final String what;
  private volatile SslContext current;
  private List<FileTime> loadedTimes;
  private String lastError;

  private TlsContextSource(TlsConfig config, String what, SslContext first, List<FileTime> times) {
    this.config = config;
    this.what = what;
    this.current = first;
    this.loadedTimes = times;
  }

  /**
   * Loads the files for the first time.
   *
   * @param what how errors name the listener, e.g. {@code listener 'secure'}
   */
  public static TlsContextSource load(TlsConfig config, String what) throws BrokerStartException {
    List<FileTime> times = modificationTimes(config);
    return new TlsContextSource(config, what, TlsContextLoader.load(config, what), times);
  }

  /** The context for a new connection. */
  public SslContext current() {
    return current;
  }

  /** The settings this context is built from. */
  public TlsConfig config() {
    return config;
  }

  /**
   * Rebuilds the context if a file's modification time changed since the last successful load.
   * Returns whether a new context is in use.
   */
  public synchronized boolean reloadIfChanged() {
    List<FileTime> times = modificationTimes(config);
    if (Objects.equals(times, loadedTimes)) {
      return false;
    }
    try {
      current = TlsContextLoader.load(config, what);
      loadedTimes = times;
      lastError = null;
      log.info("{}: TLS certificate files changed, new connections use them", what);
      return true;
    } catch (BrokerStartException e) {
      if (!e.getMessage().equals(lastError)) {
        log.warn("{} (keeping the previous certificate until the files load)", e.getMessage());
        lastError = e.getMessage();
      }
      return false;
    }
  }

  private static List<FileTime> modificationTimes(TlsConfig config) {
    List<FileTime> out = new ArrayList<>(3);
    for (Path p : new Path[] {config.certFile(), config.keyFile(), config.caFile()}) {
      out.add(p == null ? null : modified(p));
    }
    return out;
  }

  private static FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return null; // missing for a moment while it is replaced; the load will say so
    }
  }
}
