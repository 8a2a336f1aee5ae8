package dev.trellis.gateway.target;

import java.util.Objects;

/**
 * The health of one registered target (one target group, address and port) as the health checker last saw it: a
 * {@link TargetStatus} and Lattice's {@code reasonCode} for it. The object outlives snapshots: a target still
 * registered after a snapshot swap keeps its health.
 *
 * <p>Draining is not kept here: it is a fact of the snapshot (the target was deregistered), see
 * {@link PoolTarget#status()}. So a health object only ever holds INITIAL, HEALTHY, UNHEALTHY or UNAVAILABLE.
 *
 * <p>Written by the health checker on its event loop (or by a snapshot swap), read by every event loop on every
 * pick: one volatile reference to an immutable {@link State}, so status and reason are always read together.
 */
public final class TargetHealth {

    /** Reason code while health checks are off for the group. */
    public static final String HEALTH_CHECK_DISABLED = "HealthCheckDisabled";

    /** A status and its reason code (null when there is nothing to explain). */
    public record State(TargetStatus status, String reasonCode) {
        public State {
            if (status == null || status == TargetStatus.DRAINING) {
                throw new IllegalArgumentException("a target's health is INITIAL, HEALTHY, UNHEALTHY or "
                        + "UNAVAILABLE, not " + status);
            }
        }
    }

    private static final State HEALTHY = new State(TargetStatus.HEALTHY, null);
    private static final State INITIAL = new State(TargetStatus.INITIAL, null);
    private static final State DISABLED = new State(TargetStatus.UNAVAILABLE, HEALTH_CHECK_DISABLED);

    private volatile State state;
    /** Whether the target's group had health checks on when last compiled; only snapshot swaps touch it. */
    private volatile boolean checked;

    /** A new target: INITIAL when its group is health-checked, else UNAVAILABLE ({@value #HEALTH_CHECK_DISABLED}). */
    public TargetHealth(boolean checked) {
        this.checked = checked;
        this.state = checked ? INITIAL : DISABLED;
    }

    /** Not checked: UNAVAILABLE, used like a healthy target. */
    public TargetHealth() {
        this(false);
    }

    public State state() {
        return state;
    }

    public TargetStatus status() {
        return state.status();
    }

    public String reasonCode() {
        return state.reasonCode();
    }

    /**
     * Whether the target is among those load balancing prefers: HEALTHY, or UNAVAILABLE (not checked, so nothing
     * says it is unwell). INITIAL and UNHEALTHY targets get traffic only when the pool fails open.
     */
    public boolean isHealthy() {
        TargetStatus status = state.status();
        return status == TargetStatus.HEALTHY || status == TargetStatus.UNAVAILABLE;
    }

    /**
     * Sets the state.
     *
     * @return whether it changed (status or reason), so the caller knows to report it
     */
    public boolean set(TargetStatus status, String reasonCode) {
        State previous = state;
        if (previous.status() == status && Objects.equals(previous.reasonCode(), reasonCode)) {
            // The common case, a check that confirms the state: nothing written, nothing allocated (this object is
            // long-lived, and a new state written into it at every check is what a young collection must copy).
            return false;
        }
        state = status == TargetStatus.HEALTHY && reasonCode == null ? HEALTHY : new State(status, reasonCode);
        return true;
    }

    /** The target passed enough checks to receive traffic. */
    public void markHealthy() {
        state = HEALTHY;
    }

    /** The target failed enough checks to be taken out of rotation. */
    public void markUnhealthy() {
        set(TargetStatus.UNHEALTHY, "HealthCheckFailed");
    }

    /**
     * Follows the group's health-check switch after a snapshot swap, when it flipped: off makes the target
     * UNAVAILABLE; on makes it INITIAL (it must pass a check again). An unchanged switch changes nothing.
     *
     * @return whether the state changed
     */
    boolean followChecksEnabled(boolean checkedNow) {
        if (checkedNow == checked) {
            return false;
        }
        checked = checkedNow;
        State next = checkedNow ? INITIAL : DISABLED;
        boolean changed = !state.equals(next);
        state = next;
        return changed;
    }

    @Override
    public String toString() {
        State current = state;
        return current.reasonCode() == null ? current.status().name()
                : current.status() + "(" + current.reasonCode() + ")";
    }
}
