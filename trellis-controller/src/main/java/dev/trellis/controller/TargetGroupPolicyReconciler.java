package dev.trellis.controller;

import dev.trellis.controller.policy.TargetGroupPolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.GetTargetGroupResponse;
import software.amazon.awssdk.services.vpclattice.model.HealthCheckConfig;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupSummary;

/**
 * TargetGroupPolicy → the target groups this cluster made for a Service (route backends and ServiceExports) or for a
 * ServiceExport. Groups created while the policy exists get all its settings ({@link TargetGroupPolicies}, called by the
 * deployer). For groups that already exist the health check is changed in place (UpdateTargetGroup). Protocol and
 * protocol version cannot change on a Lattice target group: they are part of a route's group names
 * ({@link TargetGroupPolicies#nameProtocol}), so the route reconcilers replace those groups, as the AWS controller does;
 * a ServiceExport's groups keep theirs and are named in the status message (docs/controller.md, "Policies"). Deleting the policy,
 * moving it to another target or removing its health check puts Lattice's default health check back.
 */
@ControllerConfiguration(name = "targetgrouppolicy")
public final class TargetGroupPolicyReconciler extends PolicyReconciler<TargetGroupPolicy> {

    public static final String FINALIZER = "targetgrouppolicy.k8s.aws/resources";

    private final VpcLatticeClient lattice;

    TargetGroupPolicyReconciler(PolicyTargets targets, VpcLatticeClient lattice, ControllerEvents events, Clock clock) {
        super(targets, events, clock);
        this.lattice = lattice;
    }

    @Override
    Set<String> targetKinds() {
        return Set.of(PolicyTargets.SERVICE, PolicyTargets.SERVICE_EXPORT);
    }

    @Override
    String validate(TargetGroupPolicy policy) {
        return TargetGroupPolicies.validate(policy.getSpec());
    }

    @Override
    Outcome apply(TargetGroupPolicy policy, HasMetadata target) {
        TargetGroupPolicy.Spec spec = policy.getSpec();
        List<String> fixed = new ArrayList<>();
        List<OurGroup> groups = groups(target);
        for (OurGroup ours : groups) {
            TargetGroupSummary group = ours.summary();
            GetTargetGroupResponse current = current(group);
            if (current == null) {
                continue;
            }
            // a policy without a health check (or one whose health check was just removed) leaves Lattice's default
            HealthCheckConfig wanted = spec.getHealthCheck() != null
                    ? TargetGroupPolicies.healthCheck(spec.getHealthCheck()) : defaultHealthCheck(current);
            if (wanted != null && !covers(current.config().healthCheck(), wanted)) {
                lattice.updateTargetGroup(r -> r.targetGroupIdentifier(group.id()).healthCheck(wanted));
            }
            boolean protocolDiffers = spec.getProtocol() != null
                    && !spec.getProtocol().equals(current.config().protocolAsString());
            boolean versionDiffers = spec.getProtocolVersion() != null
                    && !spec.getProtocolVersion().equals(current.config().protocolVersionAsString());
            // a route's groups are replaced by its reconciler (the protocol is part of their names); an export's stay
            if ((protocolDiffers || versionDiffers) && ours.exported()) {
                fixed.add(group.name() + " (" + current.config().protocolAsString() + "/"
                        + current.config().protocolVersionAsString() + ")");
            }
        }
        String message = groups.isEmpty()
                ? "no target group of " + target.getKind() + " " + target.getMetadata().getName()
                        + " yet; groups created from now on get these settings"
                : "applied to " + groups.size() + " target group(s)";
        if (!fixed.isEmpty()) {
            message += "; protocol and protocolVersion are fixed when a target group is created: routes get new groups,"
                    + " these ServiceExport groups keep theirs until the export is recreated: " + String.join(", ", fixed);
        }
        return Outcome.accepted(message);
    }

    @Override
    void remove(TargetGroupPolicy policy, HasMetadata target) {
        // the defaults go back whatever the policy's spec says now: a policy moved away (targetRef edited) may have had
        // a health check on this target that its current spec no longer names
        for (OurGroup ours : groups(target)) {
            TargetGroupSummary group = ours.summary();
            GetTargetGroupResponse current = current(group);
            if (current == null) {
                continue;
            }
            HealthCheckConfig defaults = defaultHealthCheck(current);
            if (defaults != null && !covers(current.config().healthCheck(), defaults)) {
                lattice.updateTargetGroup(r -> r.targetGroupIdentifier(group.id()).healthCheck(defaults));
            }
        }
    }

    /** The group as Lattice has it now; null when it is gone (a route replaced it on a protocol change meanwhile). */
    private GetTargetGroupResponse current(TargetGroupSummary group) {
        try {
            return lattice.getTargetGroup(r -> r.targetGroupIdentifier(group.id()));
        } catch (ResourceNotFoundException gone) {
            return null;
        }
    }

    /** Lattice's default health check for the group's protocol (lattice-facts §5); null for TCP groups (none). */
    private static HealthCheckConfig defaultHealthCheck(GetTargetGroupResponse group) {
        String protocol = group.config().protocolAsString();
        if ("TCP".equals(protocol)) {
            return null;
        }
        // on for HTTP/1.1 groups, off otherwise
        return HealthCheckConfig.builder()
                .enabled("HTTP1".equals(group.config().protocolVersionAsString()))
                .protocol("HTTPS".equals(protocol) ? "HTTPS" : "HTTP").protocolVersion("HTTP1").path("/")
                .healthCheckIntervalSeconds(30).healthCheckTimeoutSeconds(5)
                .healthyThresholdCount(5).unhealthyThresholdCount(2)
                .matcher(m -> m.httpCode("200")).build();
    }

    /**
     * This cluster's groups for the target, found by the tags every group carries: a Service's (route backends and its
     * export), or for a ServiceExport its export groups only.
     */
    private List<OurGroup> groups(HasMetadata target) {
        String namespace = target.getMetadata().getNamespace();
        String name = target.getMetadata().getName();
        ControllerConfig config = targets.config();
        List<OurGroup> out = new ArrayList<>();
        for (TargetGroupSummary group : lattice.listTargetGroupsPaginator(r -> r.vpcIdentifier(config.clusterVpcId())).items()) {
            if (group.name() == null || !group.name().startsWith("k8s-")) {
                continue;
            }
            Map<String, String> tags = lattice.listTagsForResource(r -> r.resourceArn(group.arn())).tags();
            boolean ours = config.managedBy().equals(tags.get(LatticeTags.MANAGED_BY))
                    && namespace.equals(tags.get(LatticeTags.SERVICE_NAMESPACE))
                    && name.equals(tags.get(LatticeTags.SERVICE_NAME));
            boolean exported = PolicyTargets.SERVICE_EXPORT.equals(tags.get(LatticeTags.SOURCE_TYPE));
            boolean kindMatches = !PolicyTargets.SERVICE_EXPORT.equals(target.getKind()) || exported;
            if (ours && kindMatches) {
                out.add(new OurGroup(group, exported));
            }
        }
        return out;
    }

    /** A group this cluster made for the policy's target, and whether a ServiceExport made it (else a route). */
    private record OurGroup(TargetGroupSummary summary, boolean exported) {
    }

    /** Whether {@code current} already has every setting {@code wanted} sets. */
    private static boolean covers(HealthCheckConfig current, HealthCheckConfig wanted) {
        if (current == null) {
            return false;
        }
        return same(wanted.enabled(), current.enabled())
                && same(wanted.healthCheckIntervalSeconds(), current.healthCheckIntervalSeconds())
                && same(wanted.healthCheckTimeoutSeconds(), current.healthCheckTimeoutSeconds())
                && same(wanted.healthyThresholdCount(), current.healthyThresholdCount())
                && same(wanted.unhealthyThresholdCount(), current.unhealthyThresholdCount())
                && same(wanted.path(), current.path())
                && same(wanted.port(), current.port())
                && same(wanted.protocolAsString(), current.protocolAsString())
                && same(wanted.protocolVersionAsString(), current.protocolVersionAsString())
                && (wanted.matcher() == null || current.matcher() != null
                        && Objects.equals(wanted.matcher().httpCode(), current.matcher().httpCode()));
    }

    private static boolean same(Object wanted, Object current) {
        return wanted == null || wanted.equals(current);
    }
}
