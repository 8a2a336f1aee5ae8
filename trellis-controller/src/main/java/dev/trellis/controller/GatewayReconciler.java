package dev.trellis.controller;

import dev.trellis.controller.GatewayApiObjects.GatewayView;
import dev.trellis.controller.GatewayApiObjects.RouteView;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassSpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewaySpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteSpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gateway → service network ({@link ServiceNetworkSynchronizer}); status Accepted and Programmed, and per listener
 * supportedKinds, attachedRoutes and conditions. Route changes re-run the Gateways they name, so attachedRoutes follows;
 * GatewayClass changes re-run the Gateways of that class, so a Gateway applied before its class is taken over when the
 * class arrives. Whether a Gateway is ours is decided in {@link #reconcile} ({@link Ownership}), which also adds and
 * removes our finalizer: a Gateway of another controller's class is never written to.
 */
public abstract class GatewayReconciler<P extends HasMetadata> implements Reconciler<P> {

    /** The AWS controller's finalizer for Gateways. */
    public static final String FINALIZER = "gateway.k8s.aws/resources";
    static final long PENDING_RETRY_MILLIS = 10_000;

    private static final Logger log = LoggerFactory.getLogger(GatewayReconciler.class);

    private final ControllerConfig config;
    private final GatewayApiObjects objects;
    private final ServiceNetworkSynchronizer networks;
    private final Clock clock;
    private final ControllerEvents events;
    private final VersionAccess<P, GatewaySpec, GatewayStatus> access;

    GatewayReconciler(ControllerConfig config, GatewayApiObjects objects, ServiceNetworkSynchronizer networks, Clock clock,
            ControllerEvents events, VersionAccess<P, GatewaySpec, GatewayStatus> access) {
        this.access = access;
        this.events = events;
        this.config = config;
        this.objects = objects;
        this.networks = networks;
        this.clock = clock;
    }

    final GatewaySpec spec(P gateway) {
        return access.spec().apply(gateway);
    }

    final GatewayStatus status(P gateway) {
        return access.status().apply(gateway);
    }

    final void setStatus(P gateway, GatewayStatus status) {
        access.setStatus().accept(gateway, status);
    }

    /** Whose a Gateway is, as its GatewayClass says now. */
    enum Ownership {
        /** Its class exists and names our {@code controllerName}. */
        OURS,
        /** Its class exists and names another controller. */
        FOREIGN,
        /** No class of that name exists (yet): a Gateway applied before its class, or a class deleted. */
        NO_CLASS
    }

    /**
     * Decided on every event from the class itself, not by a JOSDK filter: a filter that refuses a Gateway also makes
     * JOSDK drop the GatewayClass events mapped to it (no state for that primary), so a class created after its
     * Gateway would never be noticed (DESIGN.md, "Whose Gateway is it").
     */
    Ownership ownership(P gateway) {
        GatewaySpec spec = spec(gateway);
        List<String> controllers = objects.classControllers(spec == null ? null : spec.getGatewayClassName());
        if (controllers.contains(config.controllerName())) {
            return Ownership.OURS;
        }
        return controllers.isEmpty() ? Ownership.NO_CLASS : Ownership.FOREIGN;
    }

    /**
     * Runs for every Gateway event, deletions included (JOSDK's {@code triggerReconcilerOnAllEvents}), because JOSDK's
     * own finalizer handling would put our finalizer on every Gateway it sees: here only ours get it, before their
     * first status, and a foreign Gateway is never written to.
     */
    @Override
    public UpdateControl<P> reconcile(P gateway, Context<P> context) {
        if (context.isPrimaryResourceDeleted()) {
            // gone for good: if it was ours, its cleanup ran while our finalizer held it
            return UpdateControl.noUpdate();
        }
        String where = gateway.getMetadata().getNamespace() + "/" + gateway.getMetadata().getName();
        boolean held = gateway.hasFinalizer(FINALIZER);
        if (gateway.isMarkedForDeletion()) {
            if (held) {
                release(gateway, context, "deleted");
                PrimaryUpdateAndCacheUtils.removeFinalizer(context, FINALIZER);
            }
            return UpdateControl.noUpdate();
        }
        switch (ownership(gateway)) {
            case NO_CLASS -> {
                if (held) {
                    // keep the network: a class deleted and applied again (a reinstall, GitOps ordering) must not
                    // cut traffic; deleting the Gateway still cleans up, as our finalizer stays
                    log.info("gateway {}: class {} not found; keeping its service network until the class is back or "
                            + "the Gateway is deleted", where, spec(gateway).getGatewayClassName());
                }
                return UpdateControl.noUpdate();
            }
            case FOREIGN -> {
                if (held) {
                    // moved to another controller's class: hand it over as on deletion, and stop holding it
                    release(gateway, context, "handed over");
                    PrimaryUpdateAndCacheUtils.removeFinalizer(context, FINALIZER);
                    events.record(gateway, "Normal", "HandedOver", "class " + spec(gateway).getGatewayClassName()
                            + " names another controller: this cluster's association with the service network is removed");
                    log.info("gateway {}: class {} names another controller; released", where,
                            spec(gateway).getGatewayClassName());
                }
                return UpdateControl.noUpdate();
            }
            case OURS -> {
                if (!held) {
                    PrimaryUpdateAndCacheUtils.addFinalizer(context, FINALIZER);
                    // status on the next run: a status patch made now would also carry the metadata change
                    return UpdateControl.<P>noUpdate().rescheduleAfter(0);
                }
            }
        }
        GatewayView view = new GatewayView(gateway, spec(gateway));
        Long generation = gateway.getMetadata().getGeneration();
        GatewayStatus previous = status(gateway) == null ? new GatewayStatus() : status(gateway);
        GatewayStatus status = new GatewayStatus();
        status.setAddresses(previous.getAddresses());
        List<Condition> conditions = Conditions.set(previous.getConditions(), "Accepted", true, "Accepted",
                config.controllerName(), generation, clock);
        boolean programmed;
        try {
            Optional<ServiceNetworkSynchronizer.Network> network = networks.ensure(view.name());
            programmed = network.isPresent();
            conditions = network.isPresent()
                    ? Conditions.set(conditions, "Programmed", true, "Programmed",
                            "aws-service-network-arn: " + network.get().arn(), generation, clock)
                    : Conditions.set(conditions, "Programmed", false, "Pending",
                            "VPC Lattice Service Network not found", generation, clock);
        } catch (IllegalStateException ambiguous) {
            programmed = false;
            conditions = Conditions.set(conditions, "Programmed", false, "Invalid", ambiguous.getMessage(), generation, clock);
        }
        status.setConditions(conditions);
        status.setListeners(listenerStatuses(view, previous, generation));
        events.statusChanged(gateway, status(gateway), status);
        setStatus(gateway, status);
        log.info("gateway {}/{}: programmed={}", view.namespace(), view.name(), programmed);
        UpdateControl<P> control = UpdateControl.patchStatus(gateway);
        return programmed ? control : control.rescheduleAfter(PENDING_RETRY_MILLIS);
    }

    private List<ListenerStatus> listenerStatuses(GatewayView gateway, GatewayStatus previous, Long generation) {
        List<RouteView> routes = objects.routes();
        List<ListenerStatus> out = new ArrayList<>();
        for (Listener listener : gateway.spec().getListeners() == null ? List.<Listener>of() : gateway.spec().getListeners()) {
            List<Condition> old = previous.getListeners() == null ? List.of() : previous.getListeners().stream()
                    .filter(l -> listener.getName().equals(l.getName())).findFirst()
                    .map(ListenerStatus::getConditions).orElse(List.of());
            var kinds = GatewayApiObjects.supportedKinds(listener.getProtocol());
            boolean kindsOk = listener.getAllowedRoutes() == null || listener.getAllowedRoutes().getKinds() == null
                    || listener.getAllowedRoutes().getKinds().stream()
                            .allMatch(k -> kinds.stream().anyMatch(s -> s.getKind().equals(k.getKind())));
            List<Condition> conditions = Conditions.set(old, "Accepted", true, "Accepted", "", generation, clock);
            conditions = Conditions.set(conditions, "ResolvedRefs", kindsOk, kindsOk ? "ResolvedRefs" : "InvalidRouteKinds",
                    kindsOk ? "" : "allowedRoutes.kinds names a kind this listener's protocol does not support", generation, clock);
            conditions = Conditions.set(conditions, "Programmed", true, "Programmed", "", generation, clock);
            ListenerStatus status = new ListenerStatus();
            status.setName(listener.getName());
            status.setSupportedKinds(kinds);
            status.setAttachedRoutes((int) routes.stream().filter(r -> attaches(r, gateway, listener)).count());
            status.setConditions(conditions);
            out.add(status);
        }
        return out;
    }

    private boolean attaches(RouteView route, GatewayView gateway, Listener listener) {
        HTTPRouteSpec spec = route.spec();
        RouteKind kind = RouteKind.of(route.resource().getKind());
        if (spec == null || spec.getParentRefs() == null
                || !objects.allows(listener, gateway.namespace(), route.namespace(), kind.kind())
                || kind.latticeProtocol(listener) == null
                || !ListenerHostnames.intersects(listener.getHostname(), spec.getHostnames())) {
            return false;
        }
        return spec.getParentRefs().stream().anyMatch(ref -> objects.refersTo(ref, route.namespace(), gateway)
                && GatewayApiObjects.selectedListeners(ref, gateway).contains(listener));
    }

    /**
     * Undoes what this cluster's Gateway made (its VPC's association; the network if a controller created it and
     * nothing else uses it), before our finalizer is removed. Throws for JOSDK to retry; after
     * {@link ControllerRetry#givesUp} it lets go anyway (a Warning event says what may remain), so deletion always ends.
     */
    private void release(P gateway, Context<P> context, String why) {
        GatewayView view = new GatewayView(gateway, spec(gateway));
        boolean othersRemain = objects.gatewaysNamed(view.name()).stream()
                .anyMatch(g -> !Objects.equals(g.namespace(), view.namespace()) || g.resource().getClass() != gateway.getClass());
        if (othersRemain) {
            return;
        }
        try {
            networks.release(view.name());
        } catch (RuntimeException e) {
            if (ControllerRetry.givesUp(context)) {
                log.error("gateway {}/{} ({}): giving up releasing service network after retries", view.namespace(),
                        view.name(), why, e);
                events.record(gateway, "Warning", "CleanupAbandoned", "gave up releasing service network " + view.name()
                        + " after retries; Lattice may keep associations of this cluster: " + e.getMessage());
                return;
            }
            throw e;
        }
    }

    /** HTTPRoute events (both watched versions) re-run the Gateways their parentRefs name. */
    @Override
    public List<EventSource<?, P>> prepareEventSources(EventSourceContext<P> context) {
        List<EventSource<?, P>> sources = new ArrayList<>();
        // GatewayClass events re-run the Gateways of that class: a class applied after its Gateways, or changed
        if (config.watches("v1")) {
            sources.add(classSource(context, io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass.class,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass::getSpec, "gatewayclasses-v1"));
        }
        if (config.watches("v1beta1")) {
            sources.add(classSource(context, io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.GatewayClass.class,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.GatewayClass::getSpec, "gatewayclasses-v1beta1"));
        }
        if (config.watches("v1")) {
            sources.add(routeSource(context, io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute.class,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute::getSpec, "httproutes-v1"));
        }
        if (config.watches("v1beta1")) {
            sources.add(routeSource(context, io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute.class,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute::getSpec, "httproutes-v1beta1"));
        }
        // GRPCRoutes and TLSRoutes, where the API server serves them (as TrellisController registers their reconcilers)
        ServedKinds served = new ServedKinds(context.getClient());
        if (config.watches("v1") && served.serves("grpcroutes", "v1")) {
            sources.add(routeSource(context, io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute.class,
                    r -> RouteSpecs.fromGrpc(r.getSpec()), "grpcroutes-v1"));
        }
        if (config.watches("v1beta1") && served.serves("grpcroutes", "v1alpha2")) {
            sources.add(routeSource(context, io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.GRPCRoute.class,
                    r -> RouteSpecs.fromGrpc(r.getSpec()), "grpcroutes-v1alpha2"));
        }
        if (served.serves("tlsroutes", "v1alpha2")) {
            sources.add(routeSource(context, io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.TLSRoute.class,
                    r -> r.getSpec() == null ? null : RouteSpecs.fromTls(r.getSpec().getHostnames(),
                            r.getSpec().getParentRefs(), r.getSpec().getRules()), "tlsroutes-v1alpha2"));
        }
        return sources;
    }

    /**
     * A class's creation, deletion or spec change maps to the Gateways naming it (all Gateways are in the primary
     * cache: there is no filter). Status-only updates (ours: Accepted) are not passed on.
     */
    private <C extends HasMetadata> EventSource<C, P> classSource(EventSourceContext<P> context, Class<C> type,
            Function<C, GatewayClassSpec> classSpec, String name) {
        return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, context.getPrimaryResourceClass())
                .withName(name)
                .withSecondaryToPrimaryMapper(gatewayClass -> context.getPrimaryCache().list()
                        .filter(g -> spec(g) != null
                                && gatewayClass.getMetadata().getName().equals(spec(g).getGatewayClassName()))
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .withOnUpdateFilter((updated, old) -> !Objects.equals(classSpec.apply(updated), classSpec.apply(old)))
                .build(), context);
    }

    private <R extends HasMetadata> EventSource<R, P> routeSource(EventSourceContext<P> context, Class<R> type,
            Function<R, HTTPRouteSpec> spec, String name) {
        return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, context.getPrimaryResourceClass())
                .withName(name)
                .withSecondaryToPrimaryMapper(route -> parents(context, route, spec.apply(route)))
                .build(), context);
    }

    /** The Gateways a route's parentRefs may mean: the named namespace, else any cached Gateway of that name. */
    private Set<ResourceID> parents(EventSourceContext<P> context, HasMetadata route, HTTPRouteSpec spec) {
        if (spec == null || spec.getParentRefs() == null) {
            return Set.of();
        }
        return spec.getParentRefs().stream()
                .filter(ref -> ref.getKind() == null || "Gateway".equals(ref.getKind()))
                .flatMap((ParentReference ref) -> ref.getNamespace() != null
                        ? java.util.stream.Stream.of(new ResourceID(ref.getName(), ref.getNamespace()))
                        : context.getPrimaryCache().list().filter(g -> ref.getName().equals(g.getMetadata().getName()))
                                .map(ResourceID::fromResource))
                .collect(Collectors.toSet());
    }

    /** gateway.networking.k8s.io/v1 Gateways. */
    @ControllerConfiguration(name = "gateway-v1", triggerReconcilerOnAllEvents = true)
    public static final class V1 extends GatewayReconciler<io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway> {
        V1(ControllerConfig config, GatewayApiObjects objects, ServiceNetworkSynchronizer networks, Clock clock,
                ControllerEvents events) {
            super(config, objects, networks, clock, events, new VersionAccess<>(
                    io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway::getSpec,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway::getStatus,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway::setStatus));
        }
    }

    /** gateway.networking.k8s.io/v1beta1 Gateways (the walkthrough's manifests). */
    @ControllerConfiguration(name = "gateway-v1beta1", triggerReconcilerOnAllEvents = true)
    public static final class V1beta1 extends GatewayReconciler<io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway> {
        V1beta1(ControllerConfig config, GatewayApiObjects objects, ServiceNetworkSynchronizer networks, Clock clock,
                ControllerEvents events) {
            super(config, objects, networks, clock, events, new VersionAccess<>(
                    io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway::getSpec,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway::getStatus,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway::setStatus));
        }
    }
}
