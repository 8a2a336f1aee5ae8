package dev.trellis.controlplane;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one control plane: where it says it runs ({@code partition}, {@code region}), the account it
 * bootstraps, and the DNS suffix of generated service names
 * ({@code <name>-<id>.<dnsSuffix>}, by default {@code 7d67968.vpc-lattice-svcs.<region>.on.aws} as Lattice's).
 *
 * @param deregistrationDelay how long a deregistered target stays {@code DRAINING} before it is gone (Lattice: about
 *        a minute, facts §4); tests shorten it
 */
public record ControlPlaneConfig(String partition, String region, String accountId, String dnsSuffix,
                                 Quotas quotas, Duration deregistrationDelay) {

    /** Lattice's deregistration delay. */
    public static final Duration DEFAULT_DEREGISTRATION_DELAY = Duration.ofSeconds(60);

    /** The partition id Lattice puts in every generated name seen in the `aws` partition (facts §1). */
    public static final String LATTICE_PARTITION_ID = "7d67968";

    public ControlPlaneConfig {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(dnsSuffix, "dnsSuffix");
        Objects.requireNonNull(quotas, "quotas");
        Objects.requireNonNull(deregistrationDelay, "deregistrationDelay");
        if (deregistrationDelay.isNegative()) {
            throw new IllegalArgumentException("deregistrationDelay must not be negative, not " + deregistrationDelay);
        }
    }

    /** A configuration with Lattice's deregistration delay. */
    public ControlPlaneConfig(String partition, String region, String accountId, String dnsSuffix, Quotas quotas) {
        this(partition, region, accountId, dnsSuffix, quotas, DEFAULT_DEREGISTRATION_DELAY);
    }

    /** This configuration with another deregistration delay. */
    public ControlPlaneConfig withDeregistrationDelay(Duration delay) {
        return new ControlPlaneConfig(partition, region, accountId, dnsSuffix, quotas, delay);
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

        /** The names {@link #with} takes: each quota's name in kebab case, as {@code trellis server --quota} uses. */
        public static final java.util.List<String> NAMES = java.util.List.of(
                "service-networks-per-region", "services-per-region", "listeners-per-service",
                "rules-per-listener", "target-groups-per-region", "target-groups-per-service",
                "targets-per-target-group", "service-associations-per-service-network",
                "vpc-associations-per-service-network");

        /**
         * These quotas with one changed.
         *
         * @throws IllegalArgumentException for an unknown name or a value below 1
         */
        public Quotas with(String name, int value) {
            if (value < 1) {
                throw new IllegalArgumentException("quota " + name + " must be at least 1, not " + value);
            }
            int[] v = {serviceNetworksPerRegion, servicesPerRegion, listenersPerService, rulesPerListener,
                targetGroupsPerRegion, targetGroupsPerService, targetsPerTargetGroup,
                serviceAssociationsPerServiceNetwork, vpcAssociationsPerServiceNetwork};
            int index = NAMES.indexOf(name);
            if (index < 0) {
                throw new IllegalArgumentException("unknown quota '" + name + "'; the quotas are "
                        + String.join(", ", NAMES));
            }
            v[index] = value;
            return new Quotas(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
        }
    }
}
