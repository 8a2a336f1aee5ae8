package dev.trellis.controller;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.TLSRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.TLSRouteStatus;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import java.time.Clock;

/**
 * TLSRoutes (v1alpha2, served by every Gateway API release with TLSRoute in its experimental channel) → one Lattice
 * service each with a TLS_PASSTHROUGH listener per matched {@code TLS}/{@code Passthrough} Gateway listener, forwarding
 * to TCP target groups ({@link RouteKind#TLS_ROUTE}); the same reconciler, builder and deployer as HTTPRoutes.
 */
@ControllerConfiguration(name = "tlsroute-v1alpha2")
public final class TlsRouteReconciler extends HttpRouteReconciler<TLSRoute> {

    TlsRouteReconciler(ControllerConfig config, RouteModelBuilder builder, LatticeServiceDeployer deployer,
            CustomDomains domains, Clock clock, ControllerEvents events) {
        super(config, builder, deployer, domains, clock, events, new VersionAccess<>(
                r -> r.getSpec() == null ? null
                        : RouteSpecs.fromTls(r.getSpec().getHostnames(), r.getSpec().getParentRefs(), r.getSpec().getRules()),
                r -> r.getStatus() == null ? null : new HTTPRouteStatus(r.getStatus().getParents()),
                (r, s) -> r.setStatus(s == null ? null : new TLSRouteStatus(s.getParents()))), RouteKind.TLS_ROUTE);
    }
}
