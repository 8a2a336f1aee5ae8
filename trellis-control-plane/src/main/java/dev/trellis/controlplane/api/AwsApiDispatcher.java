package dev.trellis.controlplane.api;

import dev.trellis.auth.Principal;
import dev.trellis.auth.sigv4.AwsAuthError;
import dev.trellis.auth.sigv4.AwsProtocolFamily;
import dev.trellis.auth.sigv4.CredentialResolver;
import dev.trellis.auth.sigv4.SigV4Failure;
import dev.trellis.auth.sigv4.SigV4Outcome;
import dev.trellis.auth.sigv4.SigV4Verifier;
import dev.trellis.auth.sigv4.SignedRequest;
import dev.trellis.controlplane.http.ApiRequestHandler;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's front door: picks the API a request is for by the signing name in its SigV4 credential
 * scope ({@code vpc-lattice}, {@code iam}, ...), verifies the signature with that API's verifier, and hands the
 * request with its verified {@link Caller} to the API. Authentication failures are answered in the chosen API's
 * protocol with AWS's codes (docs/sigv4.md); a request no API can be chosen for gets a rest-json error. A request
 * without a SigV4 scope goes to the API that recognizes it (query APIs by {@code Action}); that API may serve it
 * unsigned when AWS does (STS {@code AssumeRoleWithWebIdentity}).
 */
public final class AwsApiDispatcher implements ApiRequestHandler {

    private static final Logger log = LoggerFactory.getLogger(AwsApiDispatcher.class);

    private final Map<String, Route> routes = new LinkedHashMap<>();
    private final AwsService fallback;

    private record Route(AwsService service, SigV4Verifier verifier, AwsProtocolFamily family) {
    }

    /**
     * @param services the APIs served; the first one also renders errors for requests that name no served API
     */
    public AwsApiDispatcher(List<AwsService> services, CredentialResolver credentials, String region, Clock clock) {
        for (AwsService service : services) {
            SigV4Verifier verifier = SigV4Verifier.builder()
                    .signingName(service.signingName())
                    .region(region, service.additionalSigningRegions().stream()
                            .filter(r -> !r.equals(region)).toArray(String[]::new))
                    .credentials(credentials)
                    .clock(clock)
                    .build();
            AwsProtocolFamily family = AwsProtocolFamily.forSigningName(service.signingName())
                    .orElseThrow(() -> new IllegalArgumentException("no protocol family for "
                            + service.signingName()));
            routes.put(service.signingName(), new Route(service, verifier, family));
        }
        this.fallback = services.get(0);
    }

    @Override
    public ApiResponse handle(ApiRequest request, String requestId) {
        String signingName = SigningScope.signingName(request);
        Route route = signingName == null ? null : routes.get(signingName);
        if (signingName == null) {
            // No readable scope: the verifier of the API the request looks like (else of the first API) says
            // whether it is unsigned or malformed, and the error comes in that API's protocol.
            route = routes.values().stream().filter(r -> r.service().recognizes(request)).findFirst()
                    .orElse(routes.get(fallback.signingName()));
        } else if (route == null) {
            return fallback.error(new ApiException("InvalidSignatureException", 403,
                    "Credential should be scoped to a service Trellis serves (" + String.join(", ", routes.keySet())
                            + "), not '" + signingName + "'."), requestId);
        }
        SigV4Outcome outcome = route.verifier().verify(signedRequest(request));
        if (outcome instanceof SigV4Outcome.Authenticated authenticated) {
            Caller caller = new Caller(authenticated.principal(), authenticated.principal().accountId(), requestId);
            return route.service().handle(request, caller);
        }
        if (outcome instanceof SigV4Outcome.Unsigned && route.service().allowsUnsigned(request)) {
            return route.service().handle(request, new Caller(Principal.anonymous(), "", requestId));
        }
        SigV4Failure failure = outcome instanceof SigV4Outcome.Rejected rejected
                ? rejected.failure()
                : SigV4Failure.missingAuthentication();
        return reject(route, failure, requestId);
    }

    private static ApiResponse reject(Route route, SigV4Failure failure, String requestId) {
        AwsAuthError error = failure.toAwsError(route.family());
        log.debug("request {} to {} not authenticated: {}", requestId, route.service().signingName(), error.code());
        return route.service().error(new ApiException(error.code(), error.httpStatus(), error.message()), requestId);
    }

    private static SignedRequest signedRequest(ApiRequest request) {
        SignedRequest.Builder builder = SignedRequest.builder(request.method(), request.rawPath(), request.rawQuery());
        request.headers().forEach((name, values) -> values.forEach(value -> builder.header(name, value)));
        return builder.body(request.body()).build();
    }
}
