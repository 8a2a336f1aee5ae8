package dev.trellis.controlplane.lattice;

import dev.trellis.controlplane.ec2.VpcDependents;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import java.util.ArrayList;
import java.util.List;

/**
 * The VPC Lattice resources that keep a VPC from being deleted (EC2's {@code DependencyViolation}): its service
 * network–VPC association and the target groups created in it. Both are read in the DeleteVpc transaction.
 */
public final class LatticeVpcDependents implements VpcDependents {

    private static final int STORE_CHUNK = 200;

    @Override
    public List<String> of(StoreTransaction tx, String accountId, String vpcId) {
        List<String> dependents = new ArrayList<>();
        // Associations are named by their VPC id (DESIGN.md): one indexed look-up.
        tx.getByName(ResourceKind.SERVICE_NETWORK_VPC_ASSOCIATION.storeKind(), accountId, null, vpcId)
                .ifPresent(association -> dependents.add("service network VPC association " + association.id()
                        + " (service network " + association.parentId() + ")"));
        // Target groups are listed per account (at most the target-groups-per-region quota, 500 by default).
        long after = -1;
        while (true) {
            List<StoredResource> chunk = tx.list(ResourceKind.TARGET_GROUP.storeKind(), accountId, after,
                    STORE_CHUNK);
            for (StoredResource group : chunk) {
                if (vpcId.equals(group.document().path("config").path("vpcIdentifier").asText(null))) {
                    dependents.add("target group " + group.id() + " (" + group.name() + ")");
                }
            }
            if (chunk.size() < STORE_CHUNK) {
                return dependents;
            }
            after = chunk.get(chunk.size() - 1).seq();
        }
    }
}
