package dev.trellis.controlplane.api;

import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import java.util.List;

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

    /** Renders an error of the request with this id; protocols that carry the id in the body override this. */
    default ApiResponse error(ApiException error, String requestId) {
        return error(error);
    }

    /**
     * Regions besides the control plane's that SigV4 scopes may name for this API: real SDKs sign global services
     * (IAM, STS's global endpoint, Route 53) for {@code us-east-1} (docs/sigv4.md).
     */
    default List<String> extraSigningRegions() {
        return List.of();
    }

    /**
     * Whether a request without a readable SigV4 scope is one of this API's (query APIs tell by {@code Action}), so
     * that this API answers it, in its own protocol.
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
