package dev.trellis.controlplane.lattice;

import java.util.regex.Pattern;

/**
 * The VPCs the API may name. Trellis has no VPC registry yet: for now any well-formed VPC id is accepted.
 */
final class Vpcs {

    private static final Pattern VPC_ID = Pattern.compile("vpc-([0-9a-f]{8}|[0-9a-f]{17})");

    private Vpcs() {
    }

    /**
     * Checks that {@code vpcId} names a VPC this control plane knows. Today: that it is {@code vpc-} and 8 or 17
     * lowercase hex digits. The integrator replaces this with a look-up of registered VPCs (ResourceNotFoundException
     * for unknown ones).
     */
    static void requireKnownVpc(OperationContext ctx, String vpcId) {
        if (!VPC_ID.matcher(vpcId).matches()) {
            throw LatticeErrors.invalid("vpcIdentifier", "'" + vpcId + "' is not a VPC id (vpc- and 8 or 17 hex digits)");
        }
    }
}
