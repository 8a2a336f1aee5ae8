package dev.trellis.gateway.target;

/**
 * Lattice's {@code TargetStatus} as far as a gateway decides it (facts §5, "Target states and registration").
 * {@code UNUSED} is the control plane's to say (no service uses the group) and never comes from a gateway.
 */
public enum TargetStatus {
    /** Health checks are on and the target has not yet passed one (nor failed {@code unhealthyThreshold}). */
    INITIAL,
    /** Passed its first check, or {@code healthyThreshold} consecutive checks after being unhealthy. */
    HEALTHY,
    /** Failed {@code unhealthyThreshold} consecutive checks; gets traffic only when the whole group fails open. */
    UNHEALTHY,
    /** Health checks are off or cannot be done; the target is used as if healthy. */
    UNAVAILABLE,
    /** Deregistered: no new requests, the ones in flight finish. */
    DRAINING
}
