package io.starling.broker.security;

import io.starling.broker.config.SecurityConfig;
import io.starling.broker.logging.LogText;
import io.starling.broker.logging.RateLimitedLog;
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
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured authenticators, in order, and the bounded pool their logins run on (a queue of
 * {@code security.auth_queue_size} logins; more are refused with 0x89 server busy), each within
 * {@code security.auth_timeout_millis} (past it, 0x88 server unavailable). Before a login is
 * queued, {@link #quick} asks each authenticator for an answer from memory, so that a login it lets
 * in at once (a cached password check) never waits behind others' hashes. A refusal after a {@link
 * FileAuthenticator} passed on an unknown user costs that user's hash all the same ({@link
 * FileAuthenticator#hashForUnknownUser}).
 */
@AnyThread
final class AuthenticatorChain implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AuthenticatorChain.class);

  /** Logins refused because the authenticators are busy: a flood writes a few lines a second. */
  private static final RateLimitedLog busy = new RateLimitedLog(log, 10, 1);

  private final List<Authenticator> authenticators;
  private final ThreadPoolExecutor executor;
  private final ScheduledExecutorService scheduler;
  private final long timeoutMillis;

  /**
   * What the chain decided: the first answer that was not {@link AuthResult#CONTINUE} and the
   * authenticator that gave it; both null when every authenticator passed.
   */
  record Decision(AuthResult result, Authenticator by) {
    static final Decision NOBODY = new Decision(null, null);
  }

  AuthenticatorChain(
      List<Authenticator> authenticators,
      ThreadPoolExecutor executor,
      ScheduledExecutorService scheduler,
      long timeoutMillis) {
    this.authenticators = List.copyOf(authenticators);
    this.executor = executor;
    this.scheduler = scheduler;
    this.timeoutMillis = timeoutMillis;
  }

  /**
   * A chain of {@code authenticators} over {@code threads} threads and a queue of {@code queue}.
   */
  static AuthenticatorChain of(
      List<Authenticator> authenticators,
      int threads,
      int queue,
      ScheduledExecutorService scheduler,
      java.util.concurrent.ThreadFactory authThreads,
      long timeoutMillis) {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            threads,
            threads,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(queue),
            authThreads);
    return new AuthenticatorChain(authenticators, executor, scheduler, timeoutMillis);
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
    return of(
        chain,
        config.authThreads(),
        config.authQueueSize(),
        scheduler,
        authThreads,
        config.authTimeoutMillis());
  }

  List<Authenticator> authenticators() {
    return authenticators;
  }

  boolean isEmpty() {
    return authenticators.isEmpty();
  }

  /**
   * The chain's answer from memory ({@link Authenticator#quickAnswer}) when it lets the client in,
   * else null: the login must run on the authentication threads. On the calling thread (an event
   * loop): a few map lookups and HMACs.
   */
  Decision quick(AuthRequest request) {
    for (Authenticator a : authenticators) {
      AuthResult r;
      try {
        r = a.quickAnswer(request);
      } catch (RuntimeException e) {
        log.warn("authenticator failed for {}: {}", request, e.toString());
        return null; // authenticate gets its chance, and its failure is handled there
      }
      if (r == null) {
        return null;
      }
      if (r.outcome() == AuthResult.Outcome.ALLOW) {
        return new Decision(r, a);
      }
      if (r.outcome() != AuthResult.Outcome.CONTINUE) {
        return null; // refusals come from the threads, at the cost a refusal has there
      }
    }
    return null; // nobody decided: a refusal, see above
  }

  /**
   * Runs the chain for {@code request} on the authentication threads, within the timeout; {@code
   * then} gets (on an authentication or scheduler thread) what {@code decide} makes of the chain's
   * decision, or a refusal when the queue is full, the time is up or an authenticator failed.
   * {@code finished} runs once when the login leaves the threads: done, dropped from the queue at
   * the timeout, or refused because the queue is full (a hash that runs on after the timeout still
   * holds its place until it ends).
   */
  void runAsync(
      AuthRequest request,
      Function<Decision, Login> decide,
      Runnable finished,
      Consumer<Login> then) {
    AtomicBoolean answered = new AtomicBoolean();
    AtomicBoolean claimed = new AtomicBoolean(); // by the thread that runs it, or by the timeout
    AtomicReference<ScheduledFuture<?>> timer = new AtomicReference<>();
    AtomicBoolean finishedOnce = new AtomicBoolean();
    Runnable finishOnce =
        () -> {
          if (finishedOnce.compareAndSet(false, true)) {
            finished.run();
          }
        };
    FutureTask<Login> task =
        new FutureTask<>(
            () -> {
              if (!claimed.compareAndSet(false, true)) {
                return null; // timed out while it waited
              }
              try {
                Login l = run(request, decide);
                // Its place is given back before the client hears the answer and tries again.
                finishOnce.run();
                if (answered.compareAndSet(false, true)) {
                  cancel(timer.get());
                  then.accept(l);
                }
                return l;
              } finally {
                finishOnce.run();
              }
            });
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      finishOnce.run();
      busy.warn(
          "login of client {} refused: authentication queue full",
          LogText.untrusted(request.clientId()));
      then.accept(new Login(ReasonCode.SERVER_BUSY, null));
      return;
    }
    timer.set(
        scheduler.schedule(
            () -> {
              if (answered.compareAndSet(false, true)) {
                if (claimed.compareAndSet(false, true)) {
                  executor.remove(task); // still queued: its place is free at once
                  finishOnce.run();
                } else {
                  task.cancel(true);
                }
                busy.warn(
                    "login of client {} refused: authenticators took more than {} ms",
                    LogText.untrusted(request.clientId()),
                    timeoutMillis);
                then.accept(new Login(ReasonCode.SERVER_UNAVAILABLE, null));
              }
            },
            timeoutMillis,
            TimeUnit.MILLISECONDS));
    if (answered.get()) {
      cancel(timer.get()); // answered before the timer was set
    }
  }

  private static void cancel(ScheduledFuture<?> timer) {
    if (timer != null) {
      timer.cancel(false);
    }
  }

  private Login run(AuthRequest request, Function<Decision, Login> decide) {
    try {
      Decision d = decision(request);
      if (d.result() == null || d.result().outcome() != AuthResult.Outcome.ALLOW) {
        equalize(request, d.by());
      }
      return decide.apply(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Login(ReasonCode.SERVER_UNAVAILABLE, null);
    } catch (Exception e) {
      // The request's toString hides the password; exception messages are the backend's.
      log.warn("authenticator failed for {}: {}", request, e.toString());
      return new Login(ReasonCode.SERVER_UNAVAILABLE, null);
    }
  }

  private Decision decision(AuthRequest request) throws Exception {
    for (Authenticator a : authenticators) {
      AuthResult r = a.authenticate(request);
      if (r.outcome() != AuthResult.Outcome.CONTINUE) {
        return new Decision(r, a);
      }
    }
    return Decision.NOBODY;
  }

  /**
   * A refused login: the password files asked before {@code decider} (null: all of them) did not
   * know the user, and spend a known user's hash: the refusal takes as long as a wrong password's,
   * so timing does not tell which users exist.
   */
  private void equalize(AuthRequest request, Authenticator decider) {
    for (Authenticator a : authenticators) {
      if (a == decider) {
        return;
      }
      if (a instanceof FileAuthenticator f) {
        f.hashForUnknownUser(request);
      }
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
