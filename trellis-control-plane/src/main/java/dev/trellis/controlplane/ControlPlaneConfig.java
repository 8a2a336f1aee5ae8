package dev.trellis.controlplane;

import java.util.Objects;

/**
 * Settings of one control plane: where it says it runs ({@code partition}, {@code region}), the account it
 * bootstraps, and the DNS suffix of generated service names
 * ({@code <name>-<id>.<dnsSuffix>}, by default {@code 7d67968.vpc-lattice-svcs.<region>.on.aws} as Lattice's).
 */
public record ControlPlaneConfig(String partition, String region, String accountId, String dnsSuffix,
                                 Quotas quotas) {

    /** The partition id Lattice puts in every generated name seen in the `aws` partition (facts §1). */
    public static final String LATTICE_PARTITION_ID = "7d67968";

    public ControlPlaneConfig {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(dnsSuffix, "dnsSuffix");
        Objects.requireNonNull(quotas, "quotas");
    }

    /** The defaults for a region and account: Lattice's DNS suffix and default quotas. */
    public static ControlPlaneConfig defaults(String region, String accountId) {
        return new ControlPlaneConfig("aws", region, accountId, defaultDnsSuffix(region), Quotas.LATTICE_DEFAULTS);
    }

    public static String defaultDnsSuffix(String region) {
        return LATTICE_PARTITION_ID + ".vpc-lattice-svcs." + region + ".on.aws";
    }

    /** VPC Lattice's default quotas (facts §8), each configurable. */
    public record Quotas(
            int serviceNetworksPerRegion,
            int servicesPerRegion,
            int listenersPerService,
            int rulesPerListener,
            int targetGroupsPerRegion,
            int targetGroupsPerService,
            int targetsPerTargetGroup,
            int serviceAssociationsPerServiceNetwork,
            int vpcAssociationsPerServiceNetwork) {

        public static final Quotas LATTICE_DEFAULTS = new Quotas(50, 2000, 2, 10, 500, 10, 1000, 500, 500);
    }
}
