package dev.trellis.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassSpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewaySpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteSpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteGroupKind;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads Gateway API objects in every version the controller watches. fabric8's v1beta1 types share the v1 spec and
 * status classes, so one view per kind serves both versions.
 */
final class GatewayApiObjects {

    static final String GROUP = "gateway.networking.k8s.io";

    /** A Gateway of either version. */
    record GatewayView(HasMetadata resource, GatewaySpec spec) {
        String name() {
            return resource.getMetadata().getName();
        }

        String namespace() {
            return resource.getMetadata().getNamespace();
        }
    }

    /** An HTTPRoute of either version. */
    record RouteView(HasMetadata resource, HTTPRouteSpec spec) {
        String name() {
            return resource.getMetadata().getName();
        }

        String namespace() {
            return resource.getMetadata().getNamespace();
        }
    }

    private final KubernetesClient client;
    private final ControllerConfig config;

    GatewayApiObjects(KubernetesClient client, ControllerConfig config) {
        this.client = client;
        this.config = config;
    }

    /** True when a GatewayClass of that name exists (any watched version) and names this controller. */
    boolean isOurClass(String className) {
        return classControllers(className).contains(config.controllerName());
    }

    /**
     * The {@code controllerName}s of the GatewayClasses called {@code className} in the watched versions: empty when no
     * such class exists (yet), which {@link GatewayReconciler} tells apart from a class of another controller.
     */
    List<String> classControllers(String className) {
        if (className == null) {
            return List.of();
        }
        List<GatewayClassSpec> specs = new ArrayList<>();
        if (config.watches("v1")) {
            var c = client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass.class).withName(className).get();
            if (c != null) {
                specs.add(c.getSpec());
            }
        }
        if (config.watches("v1beta1")) {
            var c = client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.GatewayClass.class)
                    .withName(className).get();
            if (c != null) {
                specs.add(c.getSpec());
            }
        }
        return specs.stream().map(s -> s == null ? "" : Objects.toString(s.getControllerName(), "")).toList();
    }

    /**
     * The Gateway {@code namespace/name}, unless it is being deleted: a Gateway on its way out is no parent any more, so
     * no route re-associates its service with the network the Gateway's cleanup is removing.
     */
    Optional<GatewayView> gateway(String namespace, String name) {
        if (config.watches("v1")) {
            var g = client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway.class)
                    .inNamespace(namespace).withName(name).get();
            if (live(g)) {
                return Optional.of(new GatewayView(g, g.getSpec()));
            }
        }
        if (config.watches("v1beta1")) {
            var g = client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway.class)
                    .inNamespace(namespace).withName(name).get();
            if (live(g)) {
                return Optional.of(new GatewayView(g, g.getSpec()));
            }
        }
        return Optional.empty();
    }

    private static boolean live(HasMetadata resource) {
        return resource != null && resource.getMetadata().getDeletionTimestamp() == null;
    }

    /**
     * Every Gateway not being deleted (any namespace, watched versions) whose name is {@code name}: they share one
     * service network.
     */
    List<GatewayView> gatewaysNamed(String name) {
        List<GatewayView> out = new ArrayList<>();
        if (config.watches("v1")) {
            client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway.class).inAnyNamespace().list().getItems()
                    .stream().filter(g -> name.equals(g.getMetadata().getName()) && live(g))
                    .forEach(g -> out.add(new GatewayView(g, g.getSpec())));
        }
        if (config.watches("v1beta1")) {
            client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway.class).inAnyNamespace().list()
                    .getItems().stream().filter(g -> name.equals(g.getMetadata().getName()) && live(g))
                    .forEach(g -> out.add(new GatewayView(g, g.getSpec())));
        }
        return out;
    }

    List<RouteView> routes() {
        List<RouteView> out = new ArrayList<>();
        if (config.watches("v1")) {
            client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute.class).inAnyNamespace().list()
                    .getItems().forEach(r -> out.add(new RouteView(r, r.getSpec())));
        }
        if (config.watches("v1beta1")) {
            client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute.class).inAnyNamespace().list()
                    .getItems().forEach(r -> out.add(new RouteView(r, r.getSpec())));
        }
        out.addAll(grpcAndTlsRoutes());
        return out;
    }

    /**
     * GRPCRoutes and TLSRoutes in the HTTPRoute shape ({@link RouteSpecs}); {@code RouteView.resource().getKind()} tells
     * them apart. A kind the API server does not serve (its CRD is optional) contributes nothing.
     */
    List<RouteView> grpcAndTlsRoutes() {
        List<RouteView> out = new ArrayList<>();
        if (config.watches("v1")) {
            listIfServed(() -> client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute.class)
                    .inAnyNamespace().list().getItems()
                    .forEach(r -> out.add(new RouteView(r, RouteSpecs.fromGrpc(r.getSpec())))));
        }
        if (config.watches("v1beta1")) {
            listIfServed(() -> client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.GRPCRoute.class)
                    .inAnyNamespace().list().getItems()
                    .forEach(r -> out.add(new RouteView(r, RouteSpecs.fromGrpc(r.getSpec())))));
        }
        listIfServed(() -> client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.TLSRoute.class)
                .inAnyNamespace().list().getItems()
                .forEach(r -> out.add(new RouteView(r, r.getSpec() == null ? null : RouteSpecs.fromTls(
                        r.getSpec().getHostnames(), r.getSpec().getParentRefs(), r.getSpec().getRules())))));
        return out;
    }

    private static void listIfServed(Runnable list) {
        try {
            list.run();
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    /** The route kinds a listener of this protocol supports (controller-facts §2: HTTP → HTTPRoute; HTTPS adds GRPCRoute). */
    static List<RouteGroupKind> supportedKinds(String protocol) {
        return switch (protocol) {
            case "HTTP" -> List.of(kind("HTTPRoute"));
            case "HTTPS" -> List.of(kind("HTTPRoute"), kind("GRPCRoute"));
            case "TLS" -> List.of(kind("TLSRoute"));
            default -> List.of();
        };
    }

    private static RouteGroupKind kind(String kind) {
        RouteGroupKind k = new RouteGroupKind();
        k.setGroup(GROUP);
        k.setKind(kind);
        return k;
    }

    /**
     * The Gateway a route's parentRef names. An explicit namespace is used as given; without one the Gateway API means
     * the route's namespace. If no Gateway of that name is there, the one Gateway of that name of our classes in another
     * namespace is taken — the AWS controller treats Gateways as global by name (controller-facts §4.16) and the
     * walkthrough relies on it (Gateway in {@code default}, route in {@code apps}); that Gateway's allowedRoutes must
     * still admit the route's namespace, so no Gateway is joined without its consent (docs/controller.md).
     */
    Optional<GatewayView> parent(ParentReference parentRef, String routeNamespace) {
        String kind = parentRef.getKind() == null ? "Gateway" : parentRef.getKind();
        String group = parentRef.getGroup() == null ? GROUP : parentRef.getGroup();
        if (!"Gateway".equals(kind) || !GROUP.equals(group) || parentRef.getName() == null) {
            return Optional.empty();
        }
        if (parentRef.getNamespace() != null) {
            return gateway(parentRef.getNamespace(), parentRef.getName());
        }
        Optional<GatewayView> local = gateway(routeNamespace, parentRef.getName());
        if (local.isPresent()) {
            return local;
        }
        List<GatewayView> elsewhere = gatewaysNamed(parentRef.getName()).stream()
                .filter(g -> g.spec() != null && isOurClass(g.spec().getGatewayClassName())).toList();
        return elsewhere.size() == 1 ? Optional.of(elsewhere.get(0)) : Optional.empty();
    }

    /** Whether {@code parentRef} of a route in {@code routeNamespace} resolves to this Gateway. */
    boolean refersTo(ParentReference parentRef, String routeNamespace, GatewayView gateway) {
        return parent(parentRef, routeNamespace)
                .map(g -> g.name().equals(gateway.name()) && Objects.equals(g.namespace(), gateway.namespace()))
                .orElse(false);
    }

    /** Listeners of the Gateway that {@code parentRef} selects by sectionName and port (all when neither is set). */
    static List<Listener> selectedListeners(ParentReference parentRef, GatewayView gateway) {
        List<Listener> listeners = gateway.spec() == null || gateway.spec().getListeners() == null ? List.of()
                : gateway.spec().getListeners();
        return listeners.stream()
                .filter(l -> parentRef.getSectionName() == null || parentRef.getSectionName().equals(l.getName()))
                .filter(l -> parentRef.getPort() == null || parentRef.getPort().equals(l.getPort()))
                .toList();
    }

    /**
     * allowedRoutes of a listener for a route of {@code routeKind}: its kinds, and namespaces From Same (the default),
     * All, or Selector (matchLabels only).
     */
    boolean allows(Listener listener, String gatewayNamespace, String routeNamespace, String routeKind) {
        var allowed = listener.getAllowedRoutes();
        if (allowed != null && allowed.getKinds() != null && !allowed.getKinds().isEmpty()
                && allowed.getKinds().stream().noneMatch(k -> routeKind.equals(k.getKind()))) {
            return false;
        }
        String from = allowed == null || allowed.getNamespaces() == null || allowed.getNamespaces().getFrom() == null
                ? "Same" : allowed.getNamespaces().getFrom();
        return switch (from) {
            case "All" -> true;
            case "Same" -> Objects.equals(gatewayNamespace, routeNamespace);
            case "Selector" -> matchesLabels(allowed.getNamespaces().getSelector(), routeNamespace);
            default -> false;
        };
    }

    private boolean matchesLabels(LabelSelector selector, String namespace) {
        if (selector == null) {
            return false;
        }
        Namespace ns = client.namespaces().withName(namespace).get();
        Map<String, String> labels = ns == null || ns.getMetadata().getLabels() == null ? Map.of()
                : ns.getMetadata().getLabels();
        Map<String, String> wanted = selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
        // matchExpressions are a next step (DESIGN.md); a selector using only them matches nothing rather than everything
        if (wanted.isEmpty()) {
            return false;
        }
        return wanted.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }
}
