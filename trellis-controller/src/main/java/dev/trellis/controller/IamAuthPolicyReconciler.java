package dev.trellis.controller;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.controller.policy.IAMAuthPolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.AuthType;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;

/**
 * IAMAuthPolicy → the target's auth type {@code AWS_IAM} and {@code spec.policy} as its auth policy: a Gateway's service
 * network, or the Lattice service of an HTTPRoute / GRPCRoute. Deleting the policy sets the auth type back to
 * {@code NONE} and removes the auth policy, as the AWS controller does (controller-facts §2). This is how the
 * walkthrough's {@code lattice-service-network-policy.json} and {@code lattice-service-policy.json} are applied from
 * Kubernetes.
 */
@ControllerConfiguration(name = "iamauthpolicy")
public final class IamAuthPolicyReconciler extends PolicyReconciler<IAMAuthPolicy> {

    public static final String FINALIZER = "iamauthpolicy.k8s.aws/resources";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final VpcLatticeClient lattice;

    IamAuthPolicyReconciler(PolicyTargets targets, VpcLatticeClient lattice, ControllerEvents events, Clock clock) {
        super(targets, events, clock);
        this.lattice = lattice;
    }

    @Override
    Set<String> targetKinds() {
        return Set.of(PolicyTargets.GATEWAY, PolicyTargets.HTTP_ROUTE, PolicyTargets.GRPC_ROUTE);
    }

    @Override
    String validate(IAMAuthPolicy policy) {
        String text = policy.getSpec().getPolicy();
        if (text == null || text.isBlank()) {
            return "spec.policy (the auth policy as JSON text) is required";
        }
        try {
            JsonNode parsed = JSON.readTree(text);
            if (parsed == null || !parsed.isObject()) {
                return "spec.policy must be a JSON object (an IAM policy document)";
            }
        } catch (JsonProcessingException e) {
            return "spec.policy is not JSON: " + e.getOriginalMessage();
        }
        return null;
    }

    @Override
    Outcome apply(IAMAuthPolicy policy, HasMetadata target) {
        Optional<String> resource = targets.latticeArn(target);
        if (resource.isEmpty()) {
            return Outcome.pending(PolicyTargets.waitingFor(target));
        }
        String arn = resource.get();
        setAuthType(target, arn, AuthType.AWS_IAM);
        String wanted = policy.getSpec().getPolicy();
        String current = currentPolicy(arn);
        if (current == null || !sameJson(current, wanted)) {
            lattice.putAuthPolicy(r -> r.resourceIdentifier(arn).policy(wanted));
        }
        return Outcome.accepted("auth type AWS_IAM and the auth policy applied to " + arn);
    }

    @Override
    void remove(IAMAuthPolicy policy, HasMetadata target) {
        Optional<String> resource = targets.latticeArn(target);
        if (resource.isEmpty()) {
            return;
        }
        String arn = resource.get();
        try {
            lattice.deleteAuthPolicy(r -> r.resourceIdentifier(arn));
        } catch (ResourceNotFoundException gone) {
            // no policy (any more): the goal
        }
        setAuthType(target, arn, AuthType.NONE);
    }

    private void setAuthType(HasMetadata target, String arn, AuthType type) {
        if (PolicyTargets.GATEWAY.equals(target.getKind())) {
            if (lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier(arn)).authType() != type) {
                lattice.updateServiceNetwork(r -> r.serviceNetworkIdentifier(arn).authType(type));
            }
        } else if (lattice.getService(r -> r.serviceIdentifier(arn)).authType() != type) {
            lattice.updateService(r -> r.serviceIdentifier(arn).authType(type));
        }
    }

    private String currentPolicy(String arn) {
        try {
            return lattice.getAuthPolicy(r -> r.resourceIdentifier(arn)).policy();
        } catch (ResourceNotFoundException none) {
            return null;
        }
    }

    /** Compared as JSON, so Lattice re-serialising the document does not cause a put on every run. */
    private static boolean sameJson(String a, String b) {
        try {
            return JSON.readTree(a).equals(JSON.readTree(b));
        } catch (JsonProcessingException e) {
            return false;
        }
    }
}
