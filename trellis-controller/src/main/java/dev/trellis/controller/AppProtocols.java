package dev.trellis.controller;

import io.fabric8.kubernetes.api.model.ServicePort;

/**
 * What a Service port's {@code appProtocol} makes of the target group a backendRef to it becomes (Gateway API GEP-1911,
 * docs/controller.md "Backend protocols"):
 * <ul>
 *   <li>{@code kubernetes.io/h2c} → an HTTP group with protocol version {@code HTTP2} (the gateway then speaks HTTP/2
 *       with prior knowledge to the targets) — for HTTPRoutes; a GRPCRoute's groups are {@code GRPC} anyway, which is
 *       h2c too.</li>
 *   <li>{@code kubernetes.io/ws} and {@code kubernetes.io/wss} → refused: VPC Lattice does not carry WebSockets
 *       (lattice-facts "WebSockets are not supported"), and the spec asks for {@code ResolvedRefs=False},
 *       {@code UnsupportedProtocol} when a route cannot send traffic with the backend's protocol.</li>
 *   <li>absent or anything else → the route kind's default ({@code HTTP1} for HTTPRoute); a TargetGroupPolicy on the
 *       Service still wins, as it is applied on top when the group is created.</li>
 * </ul>
 * TLSRoute groups are TCP: the appProtocol of their ports is not looked at.
 */
final class AppProtocols {

    static final String H2C = "kubernetes.io/h2c";
    static final String WS = "kubernetes.io/ws";
    static final String WSS = "kubernetes.io/wss";

    /** The Gateway API's ResolvedRefs reason for a backend protocol the implementation cannot speak. */
    static final String UNSUPPORTED_PROTOCOL = "UnsupportedProtocol";

    /**
     * @param protocolVersion the group's protocol version when it differs from the route kind's default, else null
     * @param unsupported     null when the port can be a backend, else why not (the ResolvedRefs message)
     */
    record Mapping(String protocolVersion, String unsupported) {
    }

    private AppProtocols() {
    }

    static Mapping of(RouteKind kind, String serviceNamespace, String serviceName, ServicePort port) {
        String appProtocol = port.getAppProtocol();
        if (kind == RouteKind.TLS_ROUTE || appProtocol == null) {
            return new Mapping(null, null);
        }
        return switch (appProtocol) {
            case H2C -> new Mapping(kind == RouteKind.HTTP_ROUTE ? "HTTP2" : null, null);
            case WS, WSS -> new Mapping(null, "Service " + serviceNamespace + "/" + serviceName + " port " + port.getPort()
                    + " has appProtocol " + appProtocol + ": VPC Lattice does not support WebSockets (the upgrade"
                    + " cannot reach the backend); remove the appProtocol to send it plain HTTP/1.1");
            default -> new Mapping(null, null);
        };
    }
}
