package dev.trellis.controller;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteStatus;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import java.time.Clock;

/**
 * GRPCRoutes → one Lattice service each, exactly as HTTPRoutes (the same reconciler, builder and deployer): the spec is
 * read in the HTTPRoute shape ({@link RouteSpecs#fromGrpc}), the listeners are HTTPS only and the target groups speak
 * GRPC ({@link RouteKind#GRPC_ROUTE}). GRPCRoute went from v1alpha2 straight to v1, so {@link V1} serves clusters
 * watched as {@code v1} and {@link V1alpha2} the older CRDs of clusters watched as {@code v1beta1}.
 */
final class GrpcRouteReconciler {

    private GrpcRouteReconciler() {
    }

    static HTTPRouteStatus toHttp(GRPCRouteStatus status) {
        return status == null ? null : new HTTPRouteStatus(status.getParents());
    }

    static GRPCRouteStatus fromHttp(HTTPRouteStatus status) {
        return status == null ? null : new GRPCRouteStatus(status.getParents());
    }

    /** gateway.networking.k8s.io/v1 GRPCRoutes. */
    @ControllerConfiguration(name = "grpcroute-v1")
    public static final class V1 extends HttpRouteReconciler<io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute> {
        V1(ControllerConfig config, RouteModelBuilder builder, LatticeServiceDeployer deployer, CustomDomains domains,
                Clock clock, ControllerEvents events) {
            super(config, builder, deployer, domains, clock, events, new VersionAccess<>(
                    r -> RouteSpecs.fromGrpc(r.getSpec()),
                    r -> toHttp(r.getStatus()),
                    (r, s) -> r.setStatus(fromHttp(s))), RouteKind.GRPC_ROUTE);
        }
    }

    /** gateway.networking.k8s.io/v1alpha2 GRPCRoutes (Gateway API before v1.1). */
    @ControllerConfiguration(name = "grpcroute-v1alpha2")
    public static final class V1alpha2
            extends HttpRouteReconciler<io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.GRPCRoute> {
        V1alpha2(ControllerConfig config, RouteModelBuilder builder, LatticeServiceDeployer deployer, CustomDomains domains,
                Clock clock, ControllerEvents events) {
            super(config, builder, deployer, domains, clock, events, new VersionAccess<>(
                    r -> RouteSpecs.fromGrpc(r.getSpec()),
                    r -> toHttp(r.getStatus()),
                    (r, s) -> r.setStatus(fromHttp(s))), RouteKind.GRPC_ROUTE);
        }
    }
}
