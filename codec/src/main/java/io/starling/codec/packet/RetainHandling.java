package io.starling.codec.packet;

/** MQTT 5.0 subscription option "Retain Handling" (section 3.8.3.1). */
public enum RetainHandling {
  /** 0: send retained messages when the subscription is made. */
  SEND_ON_SUBSCRIBE,
  /** 1: send retained messages only if the subscription did not exist already. */
  SEND_IF_NEW_SUBSCRIPTION,
  /** 2: never send retained messages for this subscription. */
  DO_NOT_SEND;

  /** The handling for wire value 0 to 2. */
  public static RetainHandling of(int value) {
    return values()[value];
  }
}
