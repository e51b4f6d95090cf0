/**
 * The broker's plug points: where extensions (plugins, content-based rules, archiving, bridges) see
 * and steer what passes through. Each hook is an interface over the shared message model, never
 * over sessions or channels, so that routing, sessions and the transport can all call it. With
 * nothing plugged in, each call site costs one null check ({@link Hooks#NONE}).
 *
 * <p>Threading: every hook is called on an event loop and must not block; a hook that must do I/O
 * hands it to its own executor. Inbound-publish hooks run on the publisher's loop, in the order the
 * publisher's packets arrived; delivery hooks on the subscriber's loop.
 */
package io.starling.broker.extension;
