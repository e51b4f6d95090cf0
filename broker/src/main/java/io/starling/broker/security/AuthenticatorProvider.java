package io.starling.broker.security;

import io.starling.broker.config.SecurityConfig;
import java.util.Map;

/**
 * Makes an {@link Authenticator} by name. Found with {@link java.util.ServiceLoader}: list the
 * implementing class in {@code META-INF/services/io.starling.broker.security.AuthenticatorProvider}
 * of your jar, put the jar on the broker's class path, and add {@link #name()} to {@code
 * security.authenticators}. The built-in providers are {@code file} and {@code jwt}.
 */
public interface AuthenticatorProvider {
  /** The name used in {@code security.authenticators}. */
  String name();

  /**
   * Creates the authenticator at broker start.
   *
   * @param security the broker's security settings
   * @param options the keys under {@code security.plugins.<name>} (empty when there are none)
   * @throws Exception if the authenticator cannot start; the broker does not start then
   */
  Authenticator create(SecurityConfig security, Map<String, String> options) throws Exception;
}
