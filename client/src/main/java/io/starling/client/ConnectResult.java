package io.starling.client;

import io.starling.codec.packet.Properties;

/**
 * What the broker said in CONNACK.
 *
 * @param sessionPresent whether the broker resumed a stored session
 * @param clientId the client identifier in use (the broker's assigned one if ours was empty)
 * @param properties the CONNACK properties (MQTT 5.0; empty for 3.1.1)
 */
public record ConnectResult(boolean sessionPresent, String clientId, Properties properties) {}
