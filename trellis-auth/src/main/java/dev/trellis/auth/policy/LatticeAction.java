package dev.trellis.auth.policy;

/** The IAM actions of the Lattice data plane (facts §6). */
public enum LatticeAction {
    /** HTTP, HTTPS and gRPC requests; the resource is {@code <serviceArn><path>}. */
    INVOKE("vpc-lattice-svcs:Invoke"),
    /** TCP (TLS passthrough) connections; the resource is the service ARN. */
    CONNECT("vpc-lattice-svcs:Connect");

    private final String iamName;

    LatticeAction(String iamName) {
        this.iamName = iamName;
    }

    /** As it appears in policies and in the 403 body: {@code vpc-lattice-svcs:Invoke}. */
    public String iamName() {
        return iamName;
    }

    /** The resource string policies are matched against. */
    public String resource(String serviceArn, String path) {
        return this == INVOKE ? serviceArn + path : serviceArn;
    }
}
