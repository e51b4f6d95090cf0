package io.starling.broker.config;

/** The broker could not start: its listener could not be bound, or its configuration is bad. */
public final class BrokerStartException extends Exception {
  private static final long serialVersionUID = 1L;

  public BrokerStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
