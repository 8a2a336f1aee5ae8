package dev.trellis.controller;

import dev.trellis.controller.policy.ServiceExport;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the Kubernetes object a policy's {@code targetRef} names, and the Lattice resource behind it: a Gateway's
 * service network, a route's service (through the ARN annotation the route reconciler writes). Objects being deleted
 * count as absent, as a Gateway being deleted is no parent (GatewayApiObjects).
 */
final class PolicyTargets {

    static final String GATEWAY = "Gateway";
    static final String HTTP_ROUTE = "HTTPRoute";
    static final String GRPC_ROUTE = "GRPCRoute";
    static final String SERVICE = "Service";
    static final String SERVICE_EXPORT = "ServiceExport";

    private final KubernetesClient client;
    private final GatewayApiObjects objects;
    private final ControllerConfig config;
    private final ServiceNetworkSynchronizer networks;

    PolicyTargets(KubernetesClient client, GatewayApiObjects objects, ControllerConfig config,
            ServiceNetworkSynchronizer networks) {
        this.client = client;
        this.objects = objects;
        this.config = config;
        this.networks = networks;
    }

    /** The group a kind of target must name: Gateway API kinds theirs, Service the core group, ServiceExport ours. */
    static String groupOf(String kind) {
        return switch (kind) {
            case GATEWAY, HTTP_ROUTE, GRPC_ROUTE -> GatewayApiObjects.GROUP;
            case SERVICE -> "";
            case SERVICE_EXPORT -> ServiceExport.GROUP;
            default -> null;
        };
    }

    /** The live object of that kind (a Gateway only if it is of this controller's class), or empty. */
    Optional<HasMetadata> find(String kind, String namespace, String name) {
        HasMetadata found = switch (kind) {
            case GATEWAY -> objects.gateway(namespace, name)
                    .filter(g -> g.spec() != null && objects.isOurClass(g.spec().getGatewayClassName()))
                    .map(GatewayApiObjects.GatewayView::resource).orElse(null);
            case HTTP_ROUTE -> firstLive(
                    config.watches("v1") ? client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute.class)
                            .inNamespace(namespace).withName(name).get() : null,
                    config.watches("v1beta1") ? client.resources(
                            io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute.class)
                            .inNamespace(namespace).withName(name).get() : null);
            case GRPC_ROUTE -> config.watches("v1") ? firstLive(client.resources(
                    io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute.class).inNamespace(namespace).withName(name).get(),
                    null) : null;
            case SERVICE -> firstLive(client.services().inNamespace(namespace).withName(name).get(), null);
            case SERVICE_EXPORT -> firstLive(client.resources(ServiceExport.class).inNamespace(namespace).withName(name).get(),
                    null);
            default -> null;
        };
        return Optional.ofNullable(found);
    }

    private static HasMetadata firstLive(HasMetadata a, HasMetadata b) {
        for (HasMetadata candidate : new HasMetadata[] {a, b}) {
            if (candidate != null && candidate.getMetadata().getDeletionTimestamp() == null) {
                return candidate;
            }
        }
        return null;
    }

    /** The service network a Gateway maps to (its name, or DEFAULT_SERVICE_NETWORK in override mode), if it exists. */
    Optional<ServiceNetworkSynchronizer.Network> network(HasMetadata gateway) {
        return networks.find(networks.networkName(gateway.getMetadata().getName()));
    }

    /** The Lattice resource a policy on {@code target} acts on: its service network's or service's ARN, once it exists. */
    Optional<String> latticeArn(HasMetadata target) {
        if (GATEWAY.equals(target.getKind())) {
            return network(target).map(ServiceNetworkSynchronizer.Network::arn);
        }
        return serviceArn(target);
    }

    /** The Pending message while {@link #latticeArn} is empty. */
    static String waitingFor(HasMetadata target) {
        return GATEWAY.equals(target.getKind())
                ? "waiting for the service network of Gateway " + target.getMetadata().getName()
                : "waiting for " + target.getKind() + " " + target.getMetadata().getName() + " to be deployed to VPC Lattice";
    }

    /** The ARN of the Lattice service a route deployed, from the annotation its reconciler writes; empty before that. */
    static Optional<String> serviceArn(HasMetadata route) {
        Map<String, String> annotations = route.getMetadata().getAnnotations();
        return Optional.ofNullable(annotations == null ? null : annotations.get(HttpRouteReconciler.SERVICE_ARN_ANNOTATION));
    }

    KubernetesClient client() {
        return client;
    }

    ControllerConfig config() {
        return config;
    }
}
