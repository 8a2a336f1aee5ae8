package dev.trellis.auth.policy;

import java.util.Objects;
import java.util.Optional;

/**
 * The auth configuration of one Lattice level (a service network or a service): its auth type and its auth
 * policy, which may be absent.
 */
public record AuthSetting(AuthType authType, Optional<Policy> policy) {

    private static final AuthSetting NONE = new AuthSetting(AuthType.NONE, Optional.empty());

    public AuthSetting {
        Objects.requireNonNull(authType, "authType");
        Objects.requireNonNull(policy, "policy");
        if (policy.isPresent() && policy.get().kind() != PolicyKind.RESOURCE_BASED) {
            throw new IllegalArgumentException("an auth policy must be a resource-based policy");
        }
    }

    /** Auth type NONE; a stored policy is inactive and not needed here. */
    public static AuthSetting none() {
        return NONE;
    }

    /** Auth type AWS_IAM with its policy, or with none ({@code policy} null): then every request is denied. */
    public static AuthSetting awsIam(Policy policy) {
        return new AuthSetting(AuthType.AWS_IAM, Optional.ofNullable(policy));
    }

    boolean enforced() {
        return authType == AuthType.AWS_IAM;
    }
}
