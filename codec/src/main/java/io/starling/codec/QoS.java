package io.starling.codec;

/** Quality of service levels. */
public enum QoS {
  AT_MOST_ONCE,
  AT_LEAST_ONCE,
  EXACTLY_ONCE;

  private static final QoS[] VALUES = values();

  /** The wire value, 0 to 2. */
  public int value() {
    return ordinal();
  }

  /**
   * The level for a wire value.
   *
   * @throws IllegalArgumentException for anything but 0, 1 or 2
   */
  public static QoS of(int value) {
    if (value < 0 || value > 2) {
      throw new IllegalArgumentException("QoS must be 0, 1 or 2: " + value);
    }
    return VALUES[value];
  }

  /** The lower of two levels, as delivery uses min(publish QoS, granted QoS). */
  public static QoS min(QoS a, QoS b) {
    return a.ordinal() <= b.ordinal() ? a : b;
  }
}
