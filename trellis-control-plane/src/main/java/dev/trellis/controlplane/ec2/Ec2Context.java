package dev.trellis.controlplane.ec2;

import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.api.OperationAuthorizer;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.store.StoreTransaction;
import java.time.Clock;

/**
 * What an EC2 call runs with: the caller, its store transaction (read-only for Describe calls), the control plane's
 * settings, a clock, the authorizer and what may depend on a VPC.
 */
record Ec2Context(Caller caller, StoreTransaction tx, ControlPlaneConfig config, Clock clock,
                  OperationAuthorizer authorizer, VpcDependents dependents) {

    String accountId() {
        return caller.accountId();
    }

    /**
     * Checks that the caller may run {@code ec2:<action>} on {@code resourceArn}.
     *
     * @throws ApiException {@code UnauthorizedOperation} (403) with the authorizer's explanation when refused
     */
    void authorize(String action, String resourceArn) {
        try {
            authorizer.authorize(caller, "ec2:" + action, resourceArn);
        } catch (ApiException e) {
            if (e.code().equals("AccessDeniedException")) {
                throw Ec2Errors.unauthorized(e);
            }
            throw e;
        }
    }
}
