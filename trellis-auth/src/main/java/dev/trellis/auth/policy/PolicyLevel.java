package dev.trellis.auth.policy;

/** Which policy refused a Lattice request; the order of the constants is the order denials are reported in. */
public enum PolicyLevel {
    /** The service network's auth policy. */
    NETWORK("network-based", "Network"),
    /** The service's auth policy. */
    SERVICE("service-based", "Service"),
    /** The caller's IAM identity-based policies. */
    IDENTITY("identity-based", "Identity");

    private final String messageName;
    private final String accessLogReason;

    PolicyLevel(String messageName, String accessLogReason) {
        this.messageName = messageName;
        this.accessLogReason = accessLogReason;
    }

    /** As the 403 body names it: {@code network-based}, {@code service-based}, {@code identity-based}. */
    public String messageName() {
        return messageName;
    }

    /**
     * {@code a network-based}, {@code a service-based}, {@code an identity-based}: IAM's own denial messages say
     * "with an explicit deny in an identity-based policy".
     */
    String withArticle() {
        return (this == IDENTITY ? "an " : "a ") + messageName;
    }

    /**
     * The access log's {@code authDeniedReason}. Only {@code Service} has been observed from Lattice (facts §6);
     * {@code Network} and {@code Identity} follow the same pattern and are unconfirmed.
     */
    public String accessLogReason() {
        return accessLogReason;
    }
}
