package dev.trellis.controller;

import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.ConflictException;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;
import software.amazon.awssdk.services.vpclattice.model.ServiceNetworkSummary;

/**
 * Gateway → service network. The network carries the Gateway's name (or DEFAULT_SERVICE_NETWORK in override mode). When
 * it is missing and CREATE_SERVICE_NETWORKS is on, it is created (tagged ManagedBy) and the cluster VPC associated — the
 * walkthrough's behaviour, and the answer to the AWS controller's most reported problem (controller-facts §4.1).
 */
final class ServiceNetworkSynchronizer {

    private static final Logger log = LoggerFactory.getLogger(ServiceNetworkSynchronizer.class);

    /** The network a Gateway maps to, once found (or made). */
    record Network(String name, String id, String arn) {
    }

    private final VpcLatticeClient lattice;
    private final ControllerConfig config;

    /** True for a Gateway name whose VpcAssociationPolicy says associateWithVpc: false; null: no such policies. */
    private volatile java.util.function.Predicate<String> associationDeclined;

    void useVpcAssociationPolicies(java.util.function.Predicate<String> declined) {
        this.associationDeclined = declined;
    }

    ServiceNetworkSynchronizer(VpcLatticeClient lattice, ControllerConfig config) {
        this.lattice = lattice;
        this.config = config;
    }

    String networkName(String gatewayName) {
        return config.serviceNetworkOverride() ? config.defaultServiceNetwork() : gatewayName;
    }

    /** Looks the network up by name or id; empty when there is none. Several matches are an error the caller reports. */
    Optional<Network> find(String nameOrId) {
        var matches = lattice.listServiceNetworksPaginator(r -> { }).items().stream()
                .filter(n -> nameOrId.equals(n.name()) || nameOrId.equals(n.id()))
                .toList();
        if (matches.size() > 1) {
            throw new IllegalStateException("several VPC Lattice service networks match '" + nameOrId + "'");
        }
        return matches.stream().findFirst().map(ServiceNetworkSynchronizer::network);
    }

    /** Finds (or, if configured, creates) the network and makes sure the cluster VPC is associated with it. */
    Optional<Network> ensure(String gatewayName) {
        String name = networkName(gatewayName);
        Optional<Network> found = find(name);
        if (found.isEmpty()) {
            if (!config.createServiceNetworks()) {
                return Optional.empty();
            }
            try {
                var created = lattice.createServiceNetwork(
                        r -> r.name(name).tags(Map.of(LatticeTags.MANAGED_BY, config.managedBy())));
                log.info("created service network {} ({}) for Gateway {}", name, created.id(), gatewayName);
                found = Optional.of(new Network(created.name(), created.id(), created.arn()));
            } catch (ConflictException raced) {
                // another cluster's controller created it a moment ago: use theirs
                found = find(name);
                if (found.isEmpty()) {
                    throw raced;
                }
            }
        }
        Network network = found.get();
        if (config.createServiceNetworks() && (associationDeclined == null || !associationDeclined.test(gatewayName))) {
            boolean associated = lattice.listServiceNetworkVpcAssociationsPaginator(r -> r.serviceNetworkIdentifier(network.id()))
                    .items().stream().anyMatch(a -> config.clusterVpcId().equals(a.vpcId()));
            if (!associated) {
                lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(network.id())
                        .vpcIdentifier(config.clusterVpcId())
                        .tags(Map.of(LatticeTags.MANAGED_BY, config.managedBy())));
                log.info("associated VPC {} with service network {}", config.clusterVpcId(), network.name());
            }
        }
        return found;
    }

    /**
     * Undoes what {@link #ensure} made for the last Gateway of this name in the cluster: the associations of this
     * controller's services with the network, the cluster VPC's association (if this controller made it) and the network
     * itself (if some cluster's controller made it and nothing is associated with it any more — another cluster may
     * still share it, as in the walkthrough).
     */
    void release(String gatewayName) {
        String name = networkName(gatewayName);
        Optional<Network> found = find(name);
        if (found.isEmpty()) {
            return;
        }
        Network network = found.get();
        // this cluster's services leave with the Gateway (their routes, re-run by the Gateway event, see no parent any
        // more and delete the services); another cluster's services stay
        for (var association : lattice.listServiceNetworkServiceAssociationsPaginator(
                r -> r.serviceNetworkIdentifier(network.id())).items()) {
            if (ownedByUs(association.serviceArn())) {
                try {
                    lattice.deleteServiceNetworkServiceAssociation(
                            r -> r.serviceNetworkServiceAssociationIdentifier(association.id()));
                } catch (ResourceNotFoundException gone) {
                    // deleted concurrently (the route's own cleanup): the goal is reached
                }
            }
        }
        for (var association : lattice.listServiceNetworkVpcAssociationsPaginator(
                r -> r.serviceNetworkIdentifier(network.id())).items()) {
            if (config.clusterVpcId().equals(association.vpcId()) && ownedByUs(association.arn())) {
                try {
                    lattice.deleteServiceNetworkVpcAssociation(r -> r.serviceNetworkVpcAssociationIdentifier(association.id()));
                } catch (ResourceNotFoundException gone) {
                    // deleted concurrently: the goal is reached
                }
            }
        }
        if (!createdByAController(network.arn())) {
            return; // made outside Kubernetes: never ours to delete
        }
        try {
            lattice.deleteServiceNetwork(r -> r.serviceNetworkIdentifier(network.id()));
            log.info("deleted service network {}", network.name());
        } catch (ConflictException stillUsed) {
            // a route of this cluster that was mid-deploy may have associated its service again: retry (the route,
            // seeing no parent any more, removes it); another cluster's associations keep the network for good
            boolean oursRemain = lattice.listServiceNetworkServiceAssociationsPaginator(
                    r -> r.serviceNetworkIdentifier(network.id())).items().stream()
                    .anyMatch(a -> ownedByUs(a.serviceArn()));
            if (oursRemain) {
                throw new IllegalStateException("service network " + network.name()
                        + " is still associated with this cluster's services; retrying", stillUsed);
            }
            log.info("service network {} kept: still associated ({})", network.name(), stillUsed.getMessage());
        } catch (ResourceNotFoundException gone) {
            // already deleted
        }
    }

    /**
     * A network any cluster's controller created (it carries a ManagedBy tag) is deleted by whichever controller's
     * Gateway leaves it last — the creator's cluster may leave first, as in the walkthrough's two clusters.
     */
    private boolean createdByAController(String arn) {
        return lattice.listTagsForResource(r -> r.resourceArn(arn)).tags().containsKey(LatticeTags.MANAGED_BY);
    }

    private boolean ownedByUs(String arn) {
        return config.managedBy().equals(lattice.listTagsForResource(r -> r.resourceArn(arn)).tags().get(LatticeTags.MANAGED_BY));
    }

    private static Network network(ServiceNetworkSummary summary) {
        return new Network(summary.name(), summary.id(), summary.arn());
    }
}
