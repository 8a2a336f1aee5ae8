package dev.trellis.gateway.target;

/**
 * The health of one registered target (one target group, address and port), as the health checker last saw it.
 * Healthy until told otherwise, so a gateway without a health checker sends traffic everywhere. The object outlives
 * snapshots: a target still registered after a snapshot swap keeps its health.
 *
 * <p>Written by the health checker on any thread, read by event loops on every pick: one volatile field.
 */
public final class TargetHealth {

    private volatile boolean healthy = true;

    public boolean isHealthy() {
        return healthy;
    }

    /** The target passed enough checks to receive traffic ({@code healthyThresholdCount}). */
    public void markHealthy() {
        healthy = true;
    }

    /** The target failed enough checks to be taken out of rotation ({@code unhealthyThresholdCount}). */
    public void markUnhealthy() {
        healthy = false;
    }

    @Override
    public String toString() {
        return healthy ? "HEALTHY" : "UNHEALTHY";
    }
}
