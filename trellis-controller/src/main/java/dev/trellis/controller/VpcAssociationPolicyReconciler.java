package dev.trellis.controller;

import dev.trellis.controller.policy.VpcAssociationPolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.ServiceNetworkVpcAssociationSummary;

/**
 * VpcAssociationPolicy → the association of a Gateway's service network with the cluster VPC: it exists unless
 * {@code associateWithVpc} is false (unset means true, as the AWS controller's CRD says), with the policy's security
 * groups. Security groups cannot be cleared by UpdateServiceNetworkVpcAssociation, so an association of ours that has
 * groups the policy no longer names is recreated. Deleting the policy returns to the controller's default: with
 * CREATE_SERVICE_NETWORKS the association stays (recreated without security groups if it had some), without it the
 * association this controller made is deleted. Associations made outside the controller are never deleted.
 */
@ControllerConfiguration(name = "vpcassociationpolicy")
public final class VpcAssociationPolicyReconciler extends PolicyReconciler<VpcAssociationPolicy> {

    public static final String FINALIZER = "vpcassociationpolicies.application-networking.k8s.aws/resources";

    private static final Logger log = LoggerFactory.getLogger(VpcAssociationPolicyReconciler.class);

    private final VpcLatticeClient lattice;

    VpcAssociationPolicyReconciler(PolicyTargets targets, VpcLatticeClient lattice, ControllerEvents events, Clock clock) {
        super(targets, events, clock);
        this.lattice = lattice;
    }

    /**
     * Whether a VpcAssociationPolicy asks that the cluster VPC not be associated with the network of Gateways named
     * {@code gatewayName}; the service-network synchronizer asks this before associating in create mode, so a Gateway
     * reconcile does not undo the policy.
     */
    static boolean declined(KubernetesClient client, String gatewayName) {
        return client.resources(VpcAssociationPolicy.class).inAnyNamespace().list().getItems().stream()
                .anyMatch(p -> p.getMetadata().getDeletionTimestamp() == null && p.getSpec() != null
                        && p.getSpec().getTargetRef() != null
                        && PolicyTargets.GATEWAY.equals(p.getSpec().getTargetRef().getKind())
                        && gatewayName.equals(p.getSpec().getTargetRef().getName())
                        && Boolean.FALSE.equals(p.getSpec().getAssociateWithVpc()));
    }

    @Override
    Set<String> targetKinds() {
        return Set.of(PolicyTargets.GATEWAY);
    }

    @Override
    String validate(VpcAssociationPolicy policy) {
        List<String> groups = policy.getSpec().getSecurityGroupIds();
        if (groups == null) {
            return null;
        }
        if (groups.isEmpty()) {
            return "securityGroupIds must name at least one security group when set";
        }
        for (String group : groups) {
            if (group == null || !group.matches("sg-[0-9a-z]+") || group.length() > 32) {
                return "securityGroupIds: '" + group + "' is not a security group id (sg-...)";
            }
        }
        return null;
    }

    @Override
    Outcome apply(VpcAssociationPolicy policy, HasMetadata gateway) {
        Optional<ServiceNetworkSynchronizer.Network> network = targets.network(gateway);
        if (network.isEmpty()) {
            return Outcome.pending("waiting for the service network of Gateway " + gateway.getMetadata().getName());
        }
        String vpc = targets.config().clusterVpcId();
        Optional<ServiceNetworkVpcAssociationSummary> current = association(network.get());
        List<String> groups = policy.getSpec().getSecurityGroupIds() == null ? List.of()
                : policy.getSpec().getSecurityGroupIds();
        if (Boolean.FALSE.equals(policy.getSpec().getAssociateWithVpc())) {
            if (current.isEmpty()) {
                return Outcome.accepted("VPC " + vpc + " is not associated with " + network.get().name());
            }
            if (!ours(current.get().arn())) {
                return Outcome.accepted("VPC " + vpc + " stays associated with " + network.get().name()
                        + ": the association was not made by this controller");
            }
            lattice.deleteServiceNetworkVpcAssociation(r -> r.serviceNetworkVpcAssociationIdentifier(current.get().id()));
            log.info("VpcAssociationPolicy: removed the association of {} with {}", vpc, network.get().name());
            return Outcome.accepted("VPC " + vpc + " association with " + network.get().name() + " removed");
        }
        if (current.isEmpty()) {
            create(network.get(), groups);
            return Outcome.accepted("VPC " + vpc + " associated with " + network.get().name() + groupsText(groups));
        }
        Set<String> have = new HashSet<>(lattice.getServiceNetworkVpcAssociation(
                r -> r.serviceNetworkVpcAssociationIdentifier(current.get().id())).securityGroupIds());
        if (have.equals(new HashSet<>(groups))) {
            return Outcome.accepted("VPC " + vpc + " associated with " + network.get().name() + groupsText(groups));
        }
        if (!groups.isEmpty()) {
            lattice.updateServiceNetworkVpcAssociation(r -> r.serviceNetworkVpcAssociationIdentifier(current.get().id())
                    .securityGroupIds(groups));
            return Outcome.accepted("VPC " + vpc + " associated with " + network.get().name() + groupsText(groups));
        }
        if (!ours(current.get().arn())) {
            return Outcome.accepted("VPC " + vpc + " associated with " + network.get().name() + "; its security groups "
                    + have + " stay: the association was not made by this controller and groups cannot be cleared by update");
        }
        recreateWithout(network.get(), current.get());
        return Outcome.accepted("VPC " + vpc + " associated with " + network.get().name() + " (recreated without security"
                + " groups, which cannot be cleared by update)");
    }

    @Override
    void remove(VpcAssociationPolicy policy, HasMetadata gateway) {
        Optional<ServiceNetworkSynchronizer.Network> network = targets.network(gateway);
        if (network.isEmpty()) {
            return;
        }
        Optional<ServiceNetworkVpcAssociationSummary> current = association(network.get());
        if (targets.config().createServiceNetworks()) {
            // back to what the Gateway alone makes: an association without security groups
            if (current.isEmpty()) {
                create(network.get(), List.of());
            } else if (ours(current.get().arn()) && !lattice.getServiceNetworkVpcAssociation(
                    r -> r.serviceNetworkVpcAssociationIdentifier(current.get().id())).securityGroupIds().isEmpty()) {
                recreateWithout(network.get(), current.get());
            }
        } else if (current.isPresent() && ours(current.get().arn())) {
            lattice.deleteServiceNetworkVpcAssociation(r -> r.serviceNetworkVpcAssociationIdentifier(current.get().id()));
        }
    }

    private Optional<ServiceNetworkVpcAssociationSummary> association(ServiceNetworkSynchronizer.Network network) {
        String vpc = targets.config().clusterVpcId();
        return lattice.listServiceNetworkVpcAssociationsPaginator(r -> r.serviceNetworkIdentifier(network.id())).items()
                .stream().filter(a -> vpc.equals(a.vpcId())).findFirst();
    }

    private void create(ServiceNetworkSynchronizer.Network network, List<String> groups) {
        lattice.createServiceNetworkVpcAssociation(r -> {
            r.serviceNetworkIdentifier(network.id()).vpcIdentifier(targets.config().clusterVpcId())
                    .tags(Map.of(LatticeTags.MANAGED_BY, targets.config().managedBy()));
            if (!groups.isEmpty()) {
                r.securityGroupIds(groups);
            }
        });
        log.info("VpcAssociationPolicy: associated {} with {}{}", targets.config().clusterVpcId(), network.name(),
                groupsText(groups));
    }

    private void recreateWithout(ServiceNetworkSynchronizer.Network network, ServiceNetworkVpcAssociationSummary current) {
        lattice.deleteServiceNetworkVpcAssociation(r -> r.serviceNetworkVpcAssociationIdentifier(current.id()));
        create(network, List.of());
    }

    private boolean ours(String arn) {
        return targets.config().managedBy().equals(
                lattice.listTagsForResource(r -> r.resourceArn(arn)).tags().get(LatticeTags.MANAGED_BY));
    }

    private static String groupsText(List<String> groups) {
        return groups.isEmpty() ? "" : " with security groups " + groups;
    }
}
