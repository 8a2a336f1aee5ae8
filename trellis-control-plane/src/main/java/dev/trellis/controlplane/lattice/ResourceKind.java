package dev.trellis.controlplane.lattice;

import dev.trellis.controlplane.ControlPlaneConfig;

/**
 * The kinds of VPC Lattice resources this package keeps in the store: the store's kind name (also the ARN resource
 * type of top-level resources), the id prefix, and the {@code resourceType} that errors name.
 */
public enum ResourceKind {
    SERVICE_NETWORK("servicenetwork", "sn", "SERVICE_NETWORK", "Service network"),
    SERVICE("service", "svc", "SERVICE", "Service"),
    LISTENER("listener", "listener", "LISTENER", "Listener"),
    RULE("rule", "rule", "RULE", "Rule"),
    TARGET_GROUP("targetgroup", "tg", "TARGET_GROUP", "Target group"),
    SERVICE_NETWORK_VPC_ASSOCIATION("servicenetworkvpcassociation", "snva", "SERVICE_NETWORK_VPC_ASSOCIATION",
            "Service network VPC association"),
    SERVICE_NETWORK_SERVICE_ASSOCIATION("servicenetworkserviceassociation", "snsa",
            "SERVICE_NETWORK_SERVICE_ASSOCIATION", "Service network service association"),
    ACCESS_LOG_SUBSCRIPTION("accesslogsubscription", "als", "ACCESS_LOG_SUBSCRIPTION", "Access log subscription");

    private final String storeKind;
    private final String idPrefix;
    private final String errorType;
    private final String displayName;

    ResourceKind(String storeKind, String idPrefix, String errorType, String displayName) {
        this.storeKind = storeKind;
        this.idPrefix = idPrefix;
        this.errorType = errorType;
        this.displayName = displayName;
    }

    /** The {@code kind} column of the store. */
    public String storeKind() {
        return storeKind;
    }

    String idPrefix() {
        return idPrefix;
    }

    /** The {@code resourceType} member of ResourceNotFoundException / ConflictException. */
    String errorType() {
        return errorType;
    }

    String displayName() {
        return displayName;
    }

    /** The ARN of a top-level resource of this kind (listeners and rules hang below their service). */
    String arn(ControlPlaneConfig config, String accountId, String id) {
        return "arn:" + config.partition() + ":vpc-lattice:" + config.region() + ":" + accountId + ":" + storeKind
                + "/" + id;
    }

    static ResourceKind ofStoreKind(String storeKind) {
        for (ResourceKind kind : values()) {
            if (kind.storeKind.equals(storeKind)) {
                return kind;
            }
        }
        return null;
    }
}
