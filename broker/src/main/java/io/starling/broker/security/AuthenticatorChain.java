package io.starling.broker.security;

import io.starling.broker.config.SecurityConfig;
import io.starling.broker.threading.AnyThread;
import io.starling.codec.ReasonCode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured authenticators, in order, and the bounded pool their logins run on (a queue of
 * 1,024 logins; more are refused with 0x89 server busy), each within {@code
 * security.auth_timeout_millis} (past it, 0x88 server unavailable). Never on an event loop.
 */
@AnyThread
final class AuthenticatorChain implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AuthenticatorChain.class);

  private final List<Authenticator> authenticators;
  private final ThreadPoolExecutor executor;
  private final ScheduledExecutorService scheduler;
  private final long timeoutMillis;

  private AuthenticatorChain(
      List<Authenticator> authenticators,
      ThreadPoolExecutor executor,
      ScheduledExecutorService scheduler,
      long timeoutMillis) {
    this.authenticators = authenticators;
    this.executor = executor;
    this.scheduler = scheduler;
    this.timeoutMillis = timeoutMillis;
  }

  /**
   * The authenticators {@code security.authenticators} names, in order, found by name among the
   * {@link AuthenticatorProvider}s on the class path; their logins run on {@code authThreads}.
   *
   * @throws IOException naming the authenticator that is unknown or cannot start
   */
  static AuthenticatorChain create(
      SecurityConfig config,
      ScheduledExecutorService scheduler,
      java.util.concurrent.ThreadFactory authThreads)
      throws IOException {
    Map<String, AuthenticatorProvider> providers = new java.util.HashMap<>();
    for (AuthenticatorProvider p : ServiceLoader.load(AuthenticatorProvider.class)) {
      providers.putIfAbsent(p.name(), p);
    }
    List<Authenticator> chain = new ArrayList<>();
    for (String name : config.authenticators()) {
      AuthenticatorProvider p = providers.get(name);
      if (p == null) {
        throw new IOException(
            "security.authenticators: no authenticator named '"
                + name
                + "' (known: "
                + String.join(", ", new java.util.TreeSet<>(providers.keySet()))
                + ")");
      }
      try {
        chain.add(p.create(config, config.plugins().getOrDefault(name, Map.of())));
      } catch (Exception e) {
        throw new IOException("authenticator '" + name + "': " + e.getMessage(), e);
      }
    }
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            config.authThreads(),
            config.authThreads(),
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(1024),
            authThreads);
    return new AuthenticatorChain(
        List.copyOf(chain), executor, scheduler, config.authTimeoutMillis());
  }

  List<Authenticator> authenticators() {
    return authenticators;
  }

  boolean isEmpty() {
    return authenticators.isEmpty();
  }

  /**
   * Runs the chain for {@code request} on the authentication threads, within the timeout; {@code
   * then} gets (on an authentication or scheduler thread) what {@code decide} makes of the first
   * decisive result (null when every authenticator said continue), or a refusal when the queue is
   * full, the time is up or an authenticator failed.
   */
  void runAsync(AuthRequest request, Function<AuthResult, Login> decide, Consumer<Login> then) {
    AtomicBoolean done = new AtomicBoolean();
    FutureTask<Login> task =
        new FutureTask<>(
            () -> {
              Login l = run(request, decide);
              if (done.compareAndSet(false, true)) {
                then.accept(l);
              }
              return l;
            });
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      log.warn("login of client {} refused: authentication queue full", request.clientId());
      then.accept(new Login(ReasonCode.SERVER_BUSY, null));
      return;
    }
    scheduler.schedule(
        () -> {
          if (done.compareAndSet(false, true)) {
            task.cancel(true);
            log.warn(
                "login of client {} refused: authenticators took more than {} ms",
                request.clientId(),
                timeoutMillis);
            then.accept(new Login(ReasonCode.SERVER_UNAVAILABLE, null));
          }
        },
        timeoutMillis,
        TimeUnit.MILLISECONDS);
  }

  private Login run(AuthRequest request, Function<AuthResult, Login> decide) {
    try {
      for (Authenticator a : authenticators) {
        AuthResult r = a.authenticate(request);
        if (r.outcome() != AuthResult.Outcome.CONTINUE) {
          return decide.apply(r);
        }
      }
      return decide.apply(null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Login(ReasonCode.SERVER_UNAVAILABLE, null);
    } catch (Exception e) {
      // The request's toString hides the password; exception messages are the backend's.
      log.warn("authenticator failed for {}: {}", request, e.toString());
      return new Login(ReasonCode.SERVER_UNAVAILABLE, null);
    }
  }

  /** The password file changed: every authenticator reloads what it reads. */
  void reload() {
    for (Authenticator a : authenticators) {
      try {
        a.reload();
      } catch (Exception e) {
        log.error("password file reload failed, keeping the old one: {}", e.getMessage());
      }
    }
  }

  /** Stops the login threads and closes the authenticators. */
  @Override
  public void close() {
    executor.shutdownNow();
    for (Authenticator a : authenticators) {
      try {
        a.close();
      } catch (RuntimeException e) {
        log.warn("closing an authenticator failed: {}", e.toString());
      }
    }
  }
}
