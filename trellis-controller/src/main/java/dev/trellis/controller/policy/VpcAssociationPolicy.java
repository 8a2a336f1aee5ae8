package dev.trellis.controller.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.List;

/**
 * The association of a Gateway's service network with the cluster VPC: whether it exists ({@code associateWithVpc})
 * and its security groups ({@code securityGroupIds}).
 */
@Group(IAMAuthPolicy.GROUP)
@Version("v1alpha1")
@Kind("VpcAssociationPolicy")
@Plural("vpcassociationpolicies")
@ShortNames("vap")
public class VpcAssociationPolicy extends CustomResource<VpcAssociationPolicy.Spec, PolicyStatus> implements Namespaced {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec implements TargetedSpec {
        private TargetRef targetRef;
        private List<String> securityGroupIds;
        private Boolean associateWithVpc;

        @Override
        public TargetRef getTargetRef() {
            return targetRef;
        }

        public void setTargetRef(TargetRef targetRef) {
            this.targetRef = targetRef;
        }

        public List<String> getSecurityGroupIds() {
            return securityGroupIds;
        }

        public void setSecurityGroupIds(List<String> securityGroupIds) {
            this.securityGroupIds = securityGroupIds;
        }

        public Boolean getAssociateWithVpc() {
            return associateWithVpc;
        }

        public void setAssociateWithVpc(Boolean associateWithVpc) {
            this.associateWithVpc = associateWithVpc;
        }
    }
}
