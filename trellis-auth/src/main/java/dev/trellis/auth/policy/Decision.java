package dev.trellis.auth.policy;

/** What one policy (or one set of policies) says about a request. */
public enum Decision {
    /** A statement allows the request and none denies it. */
    ALLOW,
    /** A {@code Deny} statement applies; this beats any allow anywhere. */
    EXPLICIT_DENY,
    /** No statement applies: an implicit deny. */
    NOT_APPLICABLE;

    /** Combines the decisions of two policies of the same level: explicit deny beats allow beats not applicable. */
    public Decision and(Decision other) {
        if (this == EXPLICIT_DENY || other == EXPLICIT_DENY) {
            return EXPLICIT_DENY;
        }
        return this == ALLOW || other == ALLOW ? ALLOW : NOT_APPLICABLE;
    }
}
