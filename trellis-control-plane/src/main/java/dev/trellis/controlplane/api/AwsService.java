package dev.trellis.controlplane.api;

import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;

/**
 * One AWS API served by the control plane (vpc-lattice, iam, sts, acm, route53), chosen by the SigV4 signing name
 * of each request.
 */
public interface AwsService {

    /** The SigV4 signing name that selects this service ({@code vpc-lattice}). */
    String signingName();

    /** Answers an authenticated request. Errors are rendered by the service in its protocol. */
    ApiResponse handle(ApiRequest request, Caller caller);

    /** Renders an error (an authentication failure, say) the way this service's protocol carries errors. */
    ApiResponse error(ApiException error);

    /**
     * Whether a request that carries no SigV4 scope is recognisably for this API (an {@code X-Amz-Target} of its
     * prefix, say), so that its authentication error is rendered in this API's protocol.
     */
    default boolean recognizes(ApiRequest request) {
        return false;
    }
}
