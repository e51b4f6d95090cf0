package io.starling.broker.threading;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The annotated method (or every method of the annotated type) may be called only on the event loop
 * that owns the object: a connection's channel loop, or the owner loop of a session. Such state is
 * confined to that thread and takes no lock. Where a check is cheap the method asserts it.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.METHOD, ElementType.TYPE, ElementType.CONSTRUCTOR})
public @interface EventLoopOnly {}
