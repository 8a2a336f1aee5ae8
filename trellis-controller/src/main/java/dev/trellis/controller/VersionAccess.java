package dev.trellis.controller;

import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * How a reconciler reads one Gateway API version's object: fabric8 has a class per version (v1, v1beta1) sharing
 * the v1 spec and status types, so each version's reconciler only says which getters and setter to use.
 *
 * @param <P> the object's class in that version
 * @param <S> its spec type
 * @param <T> its status type
 */
record VersionAccess<P, S, T>(Function<P, S> spec, Function<P, T> status, BiConsumer<P, T> setStatus) {
}
