package dev.trellis.controller;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import java.util.Locale;

/**
 * What differs between the route kinds that become a Lattice service (controller-facts §2): which Gateway listeners
 * they attach to and as what Lattice listener protocol, the protocol of their target groups, and their finalizer.
 * Everything else (naming, ownership, parents, backends, status) is the same path for all three, so GRPCRoute and
 * TLSRoute are served by translating their spec into the HTTPRoute shape ({@link RouteSpecs}).
 */
enum RouteKind {
    HTTP_ROUTE("HTTPRoute", "HTTP", "HTTP1", "httproute.k8s.aws/resources"),
    /** gRPC needs HTTP/2 end to end: HTTPS listeners only, HTTP target groups with protocol version GRPC. */
    GRPC_ROUTE("GRPCRoute", "HTTP", "GRPC", "grpcroute.k8s.aws/resources"),
    /** TLS passthrough: TLS listeners in Passthrough mode, TCP target groups (no protocol version). */
    TLS_ROUTE("TLSRoute", "TCP", null, "tlsroute.k8s.aws/resources");

    private final String kind;
    private final String targetGroupProtocol;
    private final String targetGroupProtocolVersion;
    private final String finalizer;

    RouteKind(String kind, String targetGroupProtocol, String targetGroupProtocolVersion, String finalizer) {
        this.kind = kind;
        this.targetGroupProtocol = targetGroupProtocol;
        this.targetGroupProtocolVersion = targetGroupProtocolVersion;
        this.finalizer = finalizer;
    }

    /** The Gateway API kind ({@code HTTPRoute}, ...), as written in tags and allowedRoutes. */
    String kind() {
        return kind;
    }

    String targetGroupProtocol() {
        return targetGroupProtocol;
    }

    /** {@code HTTP1}, {@code GRPC}, or null for TCP groups (Lattice refuses a version there). */
    String targetGroupProtocolVersion() {
        return targetGroupProtocolVersion;
    }

    /** The AWS controller's finalizer string for this kind. */
    String finalizer() {
        return finalizer;
    }

    /**
     * The Lattice listener protocol this kind gets on a Gateway listener, or null when it cannot attach there: HTTPRoute
     * on HTTP and HTTPS, GRPCRoute on HTTPS only, TLSRoute on TLS listeners whose {@code tls.mode} is Passthrough
     * ({@code TLS_PASSTHROUGH}).
     */
    String latticeProtocol(Listener listener) {
        String protocol = listener.getProtocol();
        return switch (this) {
            case HTTP_ROUTE -> "HTTP".equals(protocol) || "HTTPS".equals(protocol) ? protocol : null;
            case GRPC_ROUTE -> "HTTPS".equals(protocol) ? protocol : null;
            case TLS_ROUTE -> "TLS".equals(protocol) && listener.getTls() != null
                    && "Passthrough".equals(listener.getTls().getMode()) ? "TLS_PASSTHROUGH" : null;
        };
    }

    /** Why this kind cannot attach to a listener, for the NotAllowedByListeners message. */
    String listenerRequirement() {
        return switch (this) {
            case HTTP_ROUTE -> "an HTTPRoute attaches to HTTP or HTTPS listeners only";
            case GRPC_ROUTE -> "a GRPCRoute attaches to HTTPS listeners only (gRPC needs HTTP/2, which Lattice serves on HTTPS)";
            case TLS_ROUTE -> "a TLSRoute attaches to TLS listeners with tls.mode Passthrough only";
        };
    }

    /** The listener name's protocol part: {@code tls} for passthrough, as the AWS controller names it. */
    String listenerNameProtocol(String latticeProtocol) {
        return "TLS_PASSTHROUGH".equals(latticeProtocol) ? "tls" : latticeProtocol.toLowerCase(Locale.ROOT);
    }

    static RouteKind of(String kind) {
        for (RouteKind k : values()) {
            if (k.kind.equals(kind)) {
                return k;
            }
        }
        throw new IllegalArgumentException("not a route kind Lattice serves: " + kind);
    }
}
