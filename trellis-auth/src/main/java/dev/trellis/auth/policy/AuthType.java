package dev.trellis.auth.policy;

/** The {@code authType} of a Lattice service network or service (API enum {@code AuthType}). */
public enum AuthType {
    /** No authorization at this level: its auth policy, if any, is inactive. */
    NONE,
    /** Requests must be allowed by this level's auth policy; without a policy every request is denied. */
    AWS_IAM
}
