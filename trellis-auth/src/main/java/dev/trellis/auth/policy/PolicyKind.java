package dev.trellis.auth.policy;

/** The kinds of policy documents Trellis reads; they differ in whether a statement names a principal or a resource. */
public enum PolicyKind {
    /**
     * Attached to a resource (Lattice auth policies on a service network or a service): every statement must have
     * a {@code Principal} or {@code NotPrincipal}.
     */
    RESOURCE_BASED,
    /** Attached to an identity (user or role policies): statements must not have {@code Principal}. */
    IDENTITY_BASED,
    /**
     * A role's trust policy (IAM's {@code AssumeRolePolicyDocument}): resource-based, but the role is the resource,
     * so statements have no {@code Resource} or {@code NotResource}, and their actions are STS actions.
     */
    ROLE_TRUST
}
