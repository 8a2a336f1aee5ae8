package dev.trellis.controlplane.ec2;

import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The VPCs the control plane knows: those created with the EC2 API ({@code CreateVpc}). Other APIs (VPC Lattice)
 * look a VPC up here, in their own store transaction, before they refer to it. See {@code DESIGN.md}.
 */
public final class Ec2Vpcs {

    /** The store kind of a VPC; its id is the VPC id, its parent the owning account. */
    public static final String STORE_KIND = "ec2-vpc";

    /** EC2's VPC ids: {@code vpc-} and 8 (older) or 17 lowercase hex digits. */
    private static final Pattern ID = Pattern.compile("vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})");

    private Ec2Vpcs() {
    }

    /** Whether {@code vpcId} has the form of a VPC id. */
    public static boolean isWellFormedId(String vpcId) {
        return vpcId != null && ID.matcher(vpcId).matches();
    }

    /** The VPC {@code vpcId} of {@code accountId}, if there is one (another account's VPC is not found). */
    public static Optional<StoredResource> find(StoreTransaction tx, String accountId, String vpcId) {
        if (!isWellFormedId(vpcId)) {
            return Optional.empty();
        }
        return tx.get(STORE_KIND, vpcId).filter(vpc -> vpc.accountId().equals(accountId));
    }

    /** {@code arn:<partition>:ec2:<region>:<account>:vpc/<id>}. */
    public static String arn(ControlPlaneConfig config, String accountId, String vpcId) {
        return "arn:" + config.partition() + ":ec2:" + config.region() + ":" + accountId + ":vpc/" + vpcId;
    }
}
