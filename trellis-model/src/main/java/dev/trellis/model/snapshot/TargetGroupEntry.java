package dev.trellis.model.snapshot;

import static dev.trellis.model.snapshot.SnapshotDecoder.shared;
import static dev.trellis.model.snapshot.SnapshotDecoder.sharedList;

import java.util.List;
import java.util.Objects;

/**
 * A target group used by a reachable service. Its targets and health check are included only when the group lives in
 * the snapshot's VPC: a group elsewhere is reached through its own VPC's gateway (the fabric).
 *
 * @param type {@code IP}, {@code INSTANCE}, {@code LAMBDA} or {@code ALB}
 * @param protocol {@code HTTP}, {@code HTTPS} or {@code TCP}
 * @param protocolVersion {@code HTTP1}, {@code HTTP2} or {@code GRPC}
 */
public record TargetGroupEntry(
        String id,
        String arn,
        String type,
        String protocol,
        String protocolVersion,
        int port,
        String vpcId,
        HealthCheck healthCheck,
        List<Target> targets) {

    public TargetGroupEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(arn, "arn");
        Objects.requireNonNull(vpcId, "vpcId");
        targets = targets == null ? List.of() : List.copyOf(targets);
    }

    /**
     * This group, decoded anew, with what equals {@code before} (the same group's previous version) taken from
     * {@code before}: its strings, its health check and every target registered in both, so that registering one
     * target in a group of hundreds leaves one new target behind.
     */
    TargetGroupEntry sharing(TargetGroupEntry before) {
        return new TargetGroupEntry(before.id, shared(arn, before.arn), shared(type, before.type),
                shared(protocol, before.protocol), shared(protocolVersion, before.protocolVersion), port,
                shared(vpcId, before.vpcId), shared(healthCheck, before.healthCheck),
                sharedList(targets, before.targets));
    }

    /**
     * A registered target: an address and port; {@code draining} once deregistered, until in-flight requests end.
     */
    public record Target(String id, int port, boolean draining) {
        public Target {
            Objects.requireNonNull(id, "id");
        }
    }

    /**
     * Health-check settings with Lattice's defaults already applied.
     *
     * @param port the port to check, or 0 for the target's traffic port
     * @param matcher HTTP codes that count as healthy ({@code 200}, {@code 200-299}, {@code 200,204})
     */
    public record HealthCheck(boolean enabled, String protocol, String protocolVersion, int port, String path,
                              int intervalSeconds, int timeoutSeconds, int healthyThreshold,
                              int unhealthyThreshold, String matcher) {
    }
}
