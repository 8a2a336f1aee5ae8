package dev.trellis.controller.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * An auth policy for a service network (targetRef a Gateway) or a Lattice service (targetRef an HTTPRoute or
 * GRPCRoute): while it exists the target's auth type is {@code AWS_IAM} and {@code spec.policy} is its auth policy.
 */
@Group(IAMAuthPolicy.GROUP)
@Version("v1alpha1")
@Kind("IAMAuthPolicy")
@Plural("iamauthpolicies")
@ShortNames("iap")
public class IAMAuthPolicy extends CustomResource<IAMAuthPolicy.Spec, PolicyStatus> implements Namespaced {

    public static final String GROUP = "application-networking.k8s.aws";

    /** {@code targetRef} and the policy document as JSON text. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec implements TargetedSpec {
        private TargetRef targetRef;
        private String policy;

        @Override
        public TargetRef getTargetRef() {
            return targetRef;
        }

        public void setTargetRef(TargetRef targetRef) {
            this.targetRef = targetRef;
        }

        public String getPolicy() {
            return policy;
        }

        public void setPolicy(String policy) {
            this.policy = policy;
        }
    }
}
