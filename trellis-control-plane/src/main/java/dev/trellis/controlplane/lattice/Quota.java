package dev.trellis.controlplane.lattice;

/**
 * The Lattice quotas this package enforces, with their Service Quotas codes (lattice-facts §8); the limits come from
 * {@link dev.trellis.controlplane.ControlPlaneConfig.Quotas}.
 */
enum Quota {
    SERVICE_NETWORKS_PER_REGION("L-9CAD07FB", "service networks per region"),
    SERVICES_PER_REGION("L-620C821E", "services per region"),
    LISTENERS_PER_SERVICE("L-D64E952E", "listeners per service"),
    RULES_PER_LISTENER("L-CF78395E", "rules per listener"),
    TARGET_GROUPS_PER_REGION("L-BB11C6B9", "target groups per region"),
    TARGET_GROUPS_PER_SERVICE("L-3DEC3B9F", "target groups per service"),
    TARGETS_PER_TARGET_GROUP("L-D71303F3", "targets per target group"),
    SERVICE_ASSOCIATIONS_PER_SERVICE_NETWORK("L-75D4A19E", "service associations per service network"),
    VPC_ASSOCIATIONS_PER_SERVICE_NETWORK("L-EF6E2D62", "VPC associations per service network");

    private final String code;
    private final String description;

    Quota(String code, String description) {
        this.code = code;
        this.description = description;
    }

    String code() {
        return code;
    }

    /**
     * Throws ServiceQuotaExceededException when {@code wanted} exceeds {@code limit}.
     *
     * @param kind the kind of resource the quota counts (its {@code resourceType})
     * @param resourceId the resource the quota is counted on ({@code resourceId}: the service of a listener, the
     *     listener of a rule), or null for regional quotas
     */
    void check(long wanted, int limit, ResourceKind kind, String resourceId) {
        if (wanted > limit) {
            throw LatticeErrors.quotaExceeded(kind, resourceId, code, "The quota of " + limit + " " + description
                    + " (" + code + ") would be exceeded");
        }
    }
}
