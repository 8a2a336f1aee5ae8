package dev.trellis.controlplane.api;

import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import java.util.List;

/**
 * One AWS API served by the control plane (vpc-lattice, ec2, iam, sts, acm, route53), chosen by the SigV4 signing
 * name of each request.
 */
public interface AwsService {

    /** The SigV4 signing name that selects this service ({@code vpc-lattice}). */
    String signingName();

    /** Answers an authenticated request. Errors are rendered by the service in its protocol. */
    ApiResponse handle(ApiRequest request, Caller caller);

    /**
     * Regions the service's SigV4 scopes may name besides the control plane's own. Global services (IAM, Route 53)
     * return {@code us-east-1}: SDKs sign them for it, while the CLI with {@code --endpoint-url} signs with its
     * configured region.
     */
    default List<String> additionalSigningRegions() {
        return List.of();
    }

    /** Renders an error (an authentication failure, say) the way this service's protocol carries errors. */
    ApiResponse error(ApiException error);

    /**
     * Renders an error for the request {@code requestId}; protocols that carry the request id in the error body
     * (EC2's {@code <RequestID>}) override this.
     */
    default ApiResponse error(ApiException error, String requestId) {
        return error(error);
    }

    /**
     * Whether a request that names no signing name (an unsigned one) is recognisably a call of this API, so that
     * its authentication error is rendered in this API's protocol. Read before the request is authenticated.
     */
    default boolean recognizes(ApiRequest request) {
        return false;
    }

    /**
     * Whether this API serves this request unsigned, as AWS serves STS {@code AssumeRoleWithWebIdentity}; the
     * caller is then {@link dev.trellis.auth.Principal#anonymous()}.
     */
    default boolean allowsUnsigned(ApiRequest request) {
        return false;
    }
}
