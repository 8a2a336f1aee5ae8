package dev.trellis.controlplane.ec2;

import dev.trellis.controlplane.store.StoreTransaction;
import java.util.List;

/**
 * What uses a VPC, so that {@code DeleteVpc} can refuse with {@code DependencyViolation}. The APIs that refer to VPCs
 * (VPC Lattice) implement it; the EC2 API does not know them.
 */
@FunctionalInterface
public interface VpcDependents {

    /** Nothing ever depends on a VPC. */
    VpcDependents NONE = (tx, accountId, vpcId) -> List.of();

    /**
     * The resources of {@code accountId} that use {@code vpcId}, one short description each
     * ({@code "target group tg-0123... (datastore-v1)"}), read in the caller's transaction; empty when none.
     */
    List<String> of(StoreTransaction tx, String accountId, String vpcId);
}
