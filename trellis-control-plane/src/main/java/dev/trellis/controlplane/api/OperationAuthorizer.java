package dev.trellis.controlplane.api;

import dev.trellis.controlplane.protocol.ApiException;

/**
 * Decides whether a caller may run an API action ({@code vpc-lattice:CreateService}) on a resource ARN, from its
 * identity-based policies.
 */
@FunctionalInterface
public interface OperationAuthorizer {

    /**
     * @throws ApiException {@code AccessDeniedException} (403) naming the caller, action and resource when refused
     */
    void authorize(Caller caller, String action, String resourceArn);
}
