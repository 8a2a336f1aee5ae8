package dev.trellis.controller;

import dev.trellis.controller.policy.TargetGroupPolicy;
import dev.trellis.controller.policy.TargetRef;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.vpclattice.model.HealthCheckConfig;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupConfig;

/**
 * Which TargetGroupPolicy governs the target groups of a Service, and what it makes of a group's configuration. Used
 * when a group is created ({@link LatticeServiceDeployer}: protocol and protocol version can only be chosen then) and by
 * {@link TargetGroupPolicyReconciler} for groups that exist (health checks change in place).
 */
final class TargetGroupPolicies {

    static final Set<String> PROTOCOLS = Set.of("HTTP", "HTTPS", "TCP");
    static final Set<String> PROTOCOL_VERSIONS = Set.of("HTTP1", "HTTP2", "GRPC");

    private final KubernetesClient client;

    TargetGroupPolicies(KubernetesClient client) {
        this.client = client;
    }

    /**
     * The policy for a Service: the oldest live TargetGroupPolicy in its namespace whose targetRef is the Service or the
     * ServiceExport of the same name (a ServiceExport exports the Service of its name), then by name — the conflict rule
     * of {@link PolicyReconciler}, so the winner here is the policy it applies — and only when that one is valid (an
     * invalid oldest policy leaves the others Conflicted there, and applies nothing).
     */
    Optional<TargetGroupPolicy> forService(String namespace, String serviceName) {
        return client.resources(TargetGroupPolicy.class).inNamespace(namespace).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null && p.getSpec() != null)
                .filter(p -> targets(p.getSpec().getTargetRef(), serviceName))
                .min(PolicyReconciler.PRECEDENCE)
                .filter(p -> validate(p.getSpec()) == null);
    }

    private static boolean targets(TargetRef ref, String serviceName) {
        return ref != null && serviceName.equals(ref.getName())
                && (PolicyTargets.SERVICE.equals(ref.getKind()) || PolicyTargets.SERVICE_EXPORT.equals(ref.getKind()));
    }

    /** The creation config of a group of this Service: the default one with the policy's settings, if there is one. */
    TargetGroupConfig.Builder adjust(String namespace, String serviceName, TargetGroupConfig.Builder config) {
        forService(namespace, serviceName).ifPresent(policy -> apply(policy.getSpec(), config));
        return config;
    }

    /**
     * The protocol part of the name of a group of this Service for a route of this kind, given what the port's
     * appProtocol asked for ({@link AppProtocols}; null = the kind's default): null when the group's protocol and
     * version are the kind's defaults (the plain name), the version alone when only it differs (the name appProtocol
     * gives), else {@code PROTOCOL/VERSION}. A policy's protocol settings are part of the name because Lattice cannot
     * change them on a group: a policy that changes them gives the routes new groups, and the old ones are collected, as
     * the AWS controller replaces them.
     */
    String nameProtocol(RouteKind kind, String namespace, String serviceName, String appProtocolVersion) {
        TargetGroupPolicy.Spec spec = forService(namespace, serviceName).map(TargetGroupPolicy::getSpec).orElse(null);
        if (spec == null || (spec.getProtocol() == null && spec.getProtocolVersion() == null)) {
            return appProtocolVersion;
        }
        String protocol = spec.getProtocol() != null ? spec.getProtocol() : kind.targetGroupProtocol();
        String version = "TCP".equals(protocol) ? null
                : spec.getProtocolVersion() != null ? spec.getProtocolVersion()
                : appProtocolVersion != null ? appProtocolVersion : kind.targetGroupProtocolVersion();
        if (protocol.equals(kind.targetGroupProtocol())) {
            return Objects.equals(version, kind.targetGroupProtocolVersion()) ? null : version;
        }
        return version == null ? protocol : protocol + "/" + version;
    }

    static void apply(TargetGroupPolicy.Spec spec, TargetGroupConfig.Builder config) {
        if (spec.getProtocol() != null) {
            config.protocol(spec.getProtocol());
        }
        if (spec.getProtocolVersion() != null) {
            config.protocolVersion(spec.getProtocolVersion());
        }
        if ("TCP".equals(spec.getProtocol())) {
            config.protocolVersion((String) null);
        }
        if (spec.getHealthCheck() != null) {
            config.healthCheck(healthCheck(spec.getHealthCheck()));
        }
    }

    /** The policy's health check as Lattice's; fields it leaves unset stay unset (Lattice keeps or defaults them). */
    static HealthCheckConfig healthCheck(TargetGroupPolicy.HealthCheck hc) {
        HealthCheckConfig.Builder out = HealthCheckConfig.builder()
                .enabled(hc.getEnabled())
                .healthCheckIntervalSeconds(hc.getIntervalSeconds())
                .healthCheckTimeoutSeconds(hc.getTimeoutSeconds())
                .healthyThresholdCount(hc.getHealthyThresholdCount())
                .unhealthyThresholdCount(hc.getUnhealthyThresholdCount())
                .path(hc.getPath())
                .port(hc.getPort())
                .protocol(hc.getProtocol())
                .protocolVersion(hc.getProtocolVersion());
        if (hc.getStatusMatch() != null) {
            out.matcher(m -> m.httpCode(hc.getStatusMatch()));
        }
        return out.build();
    }

    /** Null when Lattice can take the spec, else why not (the AWS controller's CRD limits). */
    static String validate(TargetGroupPolicy.Spec spec) {
        if (spec.getProtocol() != null && !PROTOCOLS.contains(spec.getProtocol())) {
            return "protocol must be one of HTTP, HTTPS, TCP, got '" + spec.getProtocol() + "'";
        }
        if (spec.getProtocolVersion() != null && !PROTOCOL_VERSIONS.contains(spec.getProtocolVersion())) {
            return "protocolVersion must be one of HTTP1, HTTP2, GRPC, got '" + spec.getProtocolVersion() + "'";
        }
        if ("TCP".equals(spec.getProtocol()) && spec.getProtocolVersion() != null) {
            return "protocolVersion must be empty for protocol TCP";
        }
        TargetGroupPolicy.HealthCheck hc = spec.getHealthCheck();
        if (hc == null) {
            return null;
        }
        String problem = range("healthCheck.intervalSeconds", hc.getIntervalSeconds(), 5, 300);
        problem = problem != null ? problem : range("healthCheck.timeoutSeconds", hc.getTimeoutSeconds(), 1, 120);
        problem = problem != null ? problem : range("healthCheck.healthyThresholdCount", hc.getHealthyThresholdCount(), 2, 10);
        problem = problem != null ? problem
                : range("healthCheck.unhealthyThresholdCount", hc.getUnhealthyThresholdCount(), 2, 10);
        problem = problem != null ? problem : range("healthCheck.port", hc.getPort(), 1, 65535);
        if (problem == null && hc.getProtocol() != null && !Set.of("HTTP", "HTTPS").contains(hc.getProtocol())) {
            problem = "healthCheck.protocol must be HTTP or HTTPS, got '" + hc.getProtocol() + "'";
        }
        if (problem == null && hc.getProtocolVersion() != null && !Set.of("HTTP1", "HTTP2").contains(hc.getProtocolVersion())) {
            problem = "healthCheck.protocolVersion must be HTTP1 or HTTP2, got '" + hc.getProtocolVersion() + "'";
        }
        return problem;
    }

    private static String range(String field, Integer value, int min, int max) {
        return value == null || (value >= min && value <= max) ? null
                : field + " must be " + min + "-" + max + ", got " + value;
    }
}
