package io.starling.broker.transport;

import io.netty.util.AttributeKey;
import io.starling.codec.MqttVersion;

/** Channel attributes the pipeline shares. */
final class ChannelAttributes {
  /** The protocol version of the connection, set when CONNECT is read. */
  static final AttributeKey<MqttVersion> VERSION = AttributeKey.valueOf("starling.version");

  private ChannelAttributes() {}
}
