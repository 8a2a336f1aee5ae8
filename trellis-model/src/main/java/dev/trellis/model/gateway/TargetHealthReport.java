package dev.trellis.model.gateway;

import java.util.Objects;

/**
 * What a gateway saw of one target of a target group in its VPC, reported to the control plane so that
 * {@code ListTargets} shows it. JSON: {@code {"targetGroupId":"tg-…","targetId":"10.0.1.5","port":3000,
 * "status":"HEALTHY","reasonCode":null}}.
 *
 * @param status Lattice's {@code TargetStatus}: {@code INITIAL}, {@code HEALTHY}, {@code UNHEALTHY},
 *        {@code UNAVAILABLE}, {@code DRAINING} (or {@code UNUSED})
 * @param reasonCode why, when not healthy ({@code HealthCheckFailed}, {@code HealthCheckTimeout},
 *        {@code HealthCheckDisabled}, ...), or null
 */
public record TargetHealthReport(String targetGroupId, String targetId, int port, String status, String reasonCode) {

    public TargetHealthReport {
        Objects.requireNonNull(targetGroupId, "targetGroupId");
        Objects.requireNonNull(targetId, "targetId");
        Objects.requireNonNull(status, "status");
    }
}
