package dev.trellis.controlplane.lattice;

import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.api.OperationAuthorizer;
import dev.trellis.controlplane.store.StoreTransaction;
import java.time.Clock;

/**
 * What a Lattice operation works with: the caller, the store transaction it runs in (read-only for Get and List
 * operations), the control plane's settings, a clock and the authorizer for resource-level checks.
 */
public record OperationContext(
        Caller caller,
        StoreTransaction tx,
        ControlPlaneConfig config,
        Clock clock,
        OperationAuthorizer authorizer) {

    /** Checks that the caller may run {@code vpc-lattice:<operation>} on {@code resourceArn}. */
    public void authorize(String operation, String resourceArn) {
        authorizer.authorize(caller, "vpc-lattice:" + operation, resourceArn);
    }
}
