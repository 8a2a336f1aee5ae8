package dev.trellis.auth.policy;

/** What a role trust policy says about a caller assuming the role ({@link Policy#evaluateTrust}). */
public enum TrustDecision {
    /** A Deny statement applies. */
    EXPLICIT_DENY,
    /** An Allow statement names the caller itself: its ARN, its identity provider ({@code Federated}), or "*". */
    ALLOW_NAMING_PRINCIPAL,
    /**
     * Allow statements apply only because they trust the caller's account ({@code "AWS": "<account>"} or
     * {@code :root}): the caller's identity-based policies must allow the action too.
     */
    ALLOW_FOR_ACCOUNT,
    /** No statement applies: an implicit deny. */
    NOT_APPLICABLE;

    /** Whether the trust policy lets the caller in, given what its identity-based policies say. */
    public boolean allows(Decision identityPolicies) {
        return switch (this) {
            case ALLOW_NAMING_PRINCIPAL -> identityPolicies != Decision.EXPLICIT_DENY;
            case ALLOW_FOR_ACCOUNT -> identityPolicies == Decision.ALLOW;
            default -> false;
        };
    }
}
