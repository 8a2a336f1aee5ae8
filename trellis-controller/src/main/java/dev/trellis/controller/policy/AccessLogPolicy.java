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
 * An access-log subscription for a Gateway's service network or a route's Lattice service, delivering to
 * {@code destinationArn} (an S3 bucket, a CloudWatch Logs log group or a Firehose delivery stream).
 */
@Group(IAMAuthPolicy.GROUP)
@Version("v1alpha1")
@Kind("AccessLogPolicy")
@Plural("accesslogpolicies")
@ShortNames("alp")
public class AccessLogPolicy extends CustomResource<AccessLogPolicy.Spec, PolicyStatus> implements Namespaced {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec implements TargetedSpec {
        private TargetRef targetRef;
        private String destinationArn;

        @Override
        public TargetRef getTargetRef() {
            return targetRef;
        }

        public void setTargetRef(TargetRef targetRef) {
            this.targetRef = targetRef;
        }

        public String getDestinationArn() {
            return destinationArn;
        }

        public void setDestinationArn(String destinationArn) {
            this.destinationArn = destinationArn;
        }
    }
}
