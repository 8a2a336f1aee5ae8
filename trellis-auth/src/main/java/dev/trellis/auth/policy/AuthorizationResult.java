package dev.trellis.auth.policy;

import java.util.Optional;

/**
 * The outcome of {@link LatticeAuthorizer#authorize}: allowed, or denied by one policy level, explicitly or not.
 * The allowed result is a shared constant (no allocation on the allow path); a denial renders Lattice's 403 body.
 */
public final class AuthorizationResult {

    private static final AuthorizationResult ALLOWED = new AuthorizationResult(null, false, null, null, null);

    private final PolicyLevel deniedBy;
    private final boolean explicit;
    private final String user;
    private final String action;
    private final String resource;

    private AuthorizationResult(PolicyLevel deniedBy, boolean explicit, String user, String action, String resource) {
        this.deniedBy = deniedBy;
        this.explicit = explicit;
        this.user = user;
        this.action = action;
        this.resource = resource;
    }

    static AuthorizationResult allowed() {
        return ALLOWED;
    }

    static AuthorizationResult denied(PolicyLevel level, boolean explicit, String user, String action,
                                      String resource) {
        return new AuthorizationResult(level, explicit, user, action, resource);
    }

    public boolean isAllowed() {
        return deniedBy == null;
    }

    /** The level that refused; empty when allowed. */
    public Optional<PolicyLevel> deniedBy() {
        return Optional.ofNullable(deniedBy);
    }

    /** True when a Deny statement refused (rather than no Allow statement applying). */
    public boolean isExplicitDeny() {
        return explicit;
    }

    /**
     * The plain-text body of the 403 response, exactly as Lattice writes it (facts §6), for example
     * {@code AccessDeniedException: User: anonymous is not authorized to perform: vpc-lattice-svcs:Invoke on
     * resource: arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdef0/summary because no
     * service-based policy allows the vpc-lattice-svcs:Invoke action}.
     *
     * @throws IllegalStateException when the request was allowed
     */
    public String accessDeniedMessage() {
        if (deniedBy == null) {
            throw new IllegalStateException("the request was allowed");
        }
        String prefix = "AccessDeniedException: User: " + user + " is not authorized to perform: " + action
                + " on resource: " + resource;
        if (explicit) {
            return prefix + " with an explicit deny in " + deniedBy.withArticle() + " policy";
        }
        return prefix + " because no " + deniedBy.messageName() + " policy allows the " + action + " action";
    }

    @Override
    public String toString() {
        return deniedBy == null ? "allowed" : "denied by " + deniedBy.messageName() + " policy"
                + (explicit ? " (explicit deny)" : "");
    }
}
