package dev.trellis.controlplane.lattice;

import dev.trellis.controlplane.ec2.Ec2Vpcs;

/**
 * The VPCs the API may name: those of the caller's account created with the EC2 API ({@link Ec2Vpcs}),
 * looked up in the operation's own store transaction, so a VPC cannot be deleted between the check and the write.
 */
final class Vpcs {

    /** What errors name as the {@code resourceType} of a VPC (Lattice does not document it). */
    static final String RESOURCE_TYPE = "VPC";

    private Vpcs() {
    }

    /**
     * Checks that {@code vpcId} names a VPC of the caller's account.
     *
     * @throws dev.trellis.controlplane.protocol.ApiException {@code ValidationException} on {@code vpcIdentifier}
     *     when it is not {@code vpc-} and 8 or 17 lowercase hex digits; {@code ResourceNotFoundException} (resource
     *     type {@value #RESOURCE_TYPE}) when there is no such VPC
     */
    static void requireKnownVpc(OperationContext ctx, String vpcId) {
        if (!Ec2Vpcs.isWellFormedId(vpcId)) {
            throw LatticeErrors.invalid("vpcIdentifier", "'" + vpcId + "' is not a VPC id (vpc- and 8 or 17 hex"
                    + " digits)");
        }
        if (Ec2Vpcs.find(ctx.tx(), ctx.caller().accountId(), vpcId).isEmpty()) {
            throw LatticeErrors.notFound(RESOURCE_TYPE, vpcId, "VPC '" + vpcId + "' was not found in this account;"
                    + " create VPCs with the EC2 API (aws ec2 create-vpc)");
        }
    }
}
