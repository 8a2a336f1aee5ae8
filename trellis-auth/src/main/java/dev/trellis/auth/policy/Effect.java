package dev.trellis.auth.policy;

/** A statement's {@code Effect}. */
public enum Effect {
    Allow,
    Deny
}
