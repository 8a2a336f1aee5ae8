package dev.trellis.controller;

import dev.trellis.controller.policy.AccessLogPolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.AccessLogSubscriptionSummary;
import software.amazon.awssdk.services.vpclattice.model.ConflictException;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;

/**
 * AccessLogPolicy → an access-log subscription of a Gateway's service network or a route's Lattice service, delivering
 * to {@code destinationArn}. The subscription is tagged with the policy's identity, so a re-run finds it (a changed
 * destination of the same type is updated in place, of another type recreated), and its ARN is written to the policy's
 * annotation {@code application-networking.k8s.aws/accessLogSubscription}, as the AWS controller does. One policy per
 * target and destination type (S3, CloudWatch Logs, Firehose) — Lattice's own limit; a second is Conflicted. Deleting the
 * policy deletes the subscription.
 */
@ControllerConfiguration(name = "accesslogpolicy")
public final class AccessLogPolicyReconciler extends PolicyReconciler<AccessLogPolicy> {

    public static final String FINALIZER = "accesslogpolicy.k8s.aws/resources";
    public static final String SUBSCRIPTION_ANNOTATION = "application-networking.k8s.aws/accessLogSubscription";
    /** Tag on the subscription naming the policy ({@code namespace/name}) that made it. */
    static final String POLICY_TAG = LatticeTags.PREFIX + "AccessLogPolicy";

    private final VpcLatticeClient lattice;

    AccessLogPolicyReconciler(PolicyTargets targets, VpcLatticeClient lattice, ControllerEvents events, Clock clock) {
        super(targets, events, clock);
        this.lattice = lattice;
    }

    @Override
    Set<String> targetKinds() {
        return Set.of(PolicyTargets.GATEWAY, PolicyTargets.HTTP_ROUTE, PolicyTargets.GRPC_ROUTE);
    }

    @Override
    String validate(AccessLogPolicy policy) {
        String destination = policy.getSpec().getDestinationArn();
        if (destination == null || destination.isBlank()) {
            return "spec.destinationArn is required";
        }
        return destinationType(destination) == null
                ? "destinationArn '" + destination + "' is not an S3 bucket, CloudWatch Logs log group or Firehose delivery"
                        + " stream ARN"
                : null;
    }

    /** One policy per target and destination type. */
    @Override
    String conflictKey(AccessLogPolicy policy) {
        String destination = policy.getSpec() == null ? null : policy.getSpec().getDestinationArn();
        String type = destination == null ? null : destinationType(destination);
        return type == null ? "" : type;
    }

    /** {@code s3}, {@code logs} or {@code firehose} for a destination ARN Lattice accepts, else null. */
    static String destinationType(String arnText) {
        // arn:partition:service:region:account:resource
        String[] parts = arnText.split(":", 6);
        if (parts.length != 6 || !"arn".equals(parts[0]) || parts[1].isEmpty()) {
            return null;
        }
        String resource = parts[5];
        return switch (parts[2]) {
            case "s3" -> resource.isEmpty() || resource.contains("/") ? null : "s3";
            case "logs" -> resource.startsWith("log-group:") && resource.length() > "log-group:".length() ? "logs" : null;
            case "firehose" -> resource.startsWith("deliverystream/") && resource.length() > "deliverystream/".length()
                    ? "firehose" : null;
            default -> null;
        };
    }

    @Override
    Outcome apply(AccessLogPolicy policy, HasMetadata target) {
        Optional<String> resource = targets.latticeArn(target);
        if (resource.isEmpty()) {
            return Outcome.pending(PolicyTargets.waitingFor(target));
        }
        String destination = policy.getSpec().getDestinationArn();
        Optional<AccessLogSubscriptionSummary> existing = subscription(resource.get(), policy);
        String arn;
        try {
            if (existing.isEmpty()) {
                arn = create(resource.get(), policy);
            } else if (destination.equals(existing.get().destinationArn())) {
                arn = existing.get().arn();
            } else if (destinationType(destination).equals(destinationType(existing.get().destinationArn()))) {
                arn = lattice.updateAccessLogSubscription(r -> r.accessLogSubscriptionIdentifier(existing.get().id())
                        .destinationArn(destination)).arn();
            } else {
                deleteQuietly(existing.get().id());
                arn = create(resource.get(), policy);
            }
        } catch (ConflictException taken) {
            // a subscription to this destination type made outside this policy (another tool, or another cluster)
            return new Outcome(false, "Conflicted", "VPC Lattice: " + taken.awsErrorDetails().errorMessage(), true);
        }
        Map<String, String> annotations = new HashMap<>(policy.getMetadata().getAnnotations() == null ? Map.of()
                : policy.getMetadata().getAnnotations());
        annotations.put(SUBSCRIPTION_ANNOTATION, arn);
        policy.getMetadata().setAnnotations(annotations);
        return Outcome.accepted("access logs of " + resource.get() + " go to " + destination);
    }

    /** The subscription is this policy's own: a waiting policy of the same type can only make its own once it is gone. */
    @Override
    boolean undoneEvenWithSuccessor() {
        return true;
    }

    @Override
    void remove(AccessLogPolicy policy, HasMetadata target) {
        targets.latticeArn(target).flatMap(resource -> subscription(resource, policy))
                .ifPresent(subscription -> deleteQuietly(subscription.id()));
    }

    private String create(String resource, AccessLogPolicy policy) {
        return lattice.createAccessLogSubscription(r -> r.resourceIdentifier(resource)
                .destinationArn(policy.getSpec().getDestinationArn())
                .tags(Map.of(LatticeTags.MANAGED_BY, targets.config().managedBy(), POLICY_TAG, identity(policy)))).arn();
    }

    /** This policy's subscription on the resource, found by its tags. */
    private Optional<AccessLogSubscriptionSummary> subscription(String resource, AccessLogPolicy policy) {
        return lattice.listAccessLogSubscriptionsPaginator(r -> r.resourceIdentifier(resource)).items().stream()
                .filter(s -> {
                    Map<String, String> tags = lattice.listTagsForResource(r -> r.resourceArn(s.arn())).tags();
                    return targets.config().managedBy().equals(tags.get(LatticeTags.MANAGED_BY))
                            && identity(policy).equals(tags.get(POLICY_TAG));
                })
                .findFirst();
    }

    private void deleteQuietly(String id) {
        try {
            lattice.deleteAccessLogSubscription(r -> r.accessLogSubscriptionIdentifier(id));
        } catch (ResourceNotFoundException gone) {
            // already gone: the goal
        }
    }

    private static String identity(AccessLogPolicy policy) {
        return policy.getMetadata().getNamespace() + "/" + policy.getMetadata().getName();
    }
}
