package io.starling.it;

import io.starling.broker.config.SecurityConfig;
import io.starling.broker.security.AuthRequest;
import io.starling.broker.security.AuthResult;
import io.starling.broker.security.Authenticator;
import io.starling.broker.security.AuthenticatorProvider;
import java.util.Map;

/**
 * A custom authenticator found through ServiceLoader (META-INF/services in the test resources): for
 * user {@code slowpoke} it takes {@code security.plugins.slow.millis} and then lets the client in;
 * every other user is left to the next authenticator.
 */
public final class SlowAuthenticator implements Authenticator {
  private final long millis;

  SlowAuthenticator(long millis) {
    this.millis = millis;
  }

  /** Registers the authenticator as {@code slow}. */
  public static final class Provider implements AuthenticatorProvider {
    @Override
    public String name() {
      return "slow";
    }

    @Override
    public Authenticator create(SecurityConfig security, Map<String, String> options) {
      return new SlowAuthenticator(Long.parseLong(options.getOrDefault("millis", "10000")));
    }
  }

  @Override
  public AuthResult authenticate(AuthRequest request) throws InterruptedException {
    if (!"slowpoke".equals(request.username())) {
      return AuthResult.CONTINUE;
    }
    Thread.sleep(millis); // a backend that hangs; interrupted when the broker gives up
    return AuthResult.allow("slowpoke");
  }
}
