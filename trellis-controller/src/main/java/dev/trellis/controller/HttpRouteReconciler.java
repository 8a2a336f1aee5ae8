package dev.trellis.controller;

import dev.trellis.controller.GatewayApiObjects.RouteView;
import dev.trellis.controller.RouteModelBuilder.ParentVerdict;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteSpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTPRoute → one Lattice service ({@link RouteModelBuilder} plans, {@link LatticeServiceDeployer} applies), with the
 * route's status per parent and the AWS controller's annotations written back. One subclass per served version
 * ({@link V1}, {@link V1beta1}): JOSDK learns the resource class from the type argument. GRPCRoutes and TLSRoutes are
 * subclasses too ({@link GrpcRouteReconciler}, {@link TlsRouteReconciler}), reading their spec in the HTTPRoute shape;
 * {@link RouteKind} says what differs, {@link CustomDomains} adds certificates by hostname and DNSEndpoints.
 */
public abstract class HttpRouteReconciler<P extends HasMetadata> implements Reconciler<P>, Cleaner<P> {

    /** The AWS controller's finalizer for HTTPRoutes (controller-facts §2). */
    public static final String FINALIZER = "httproute.k8s.aws/resources";
    public static final String ASSIGNED_DOMAIN_ANNOTATION = "application-networking.k8s.aws/lattice-assigned-domain-name";
    public static final String SERVICE_ARN_ANNOTATION = "application-networking.k8s.aws/lattice-service-arn";
    /** How often a route waiting for its service network is looked at again. */
    static final long PENDING_RETRY_MILLIS = 5_000;
    /** How often a route Lattice refused is tried again (it may have been fixed outside, e.g. a certificate imported). */
    static final long REFUSED_RETRY_MILLIS = 60_000;
    /**
     * How often a route with cross-namespace backends re-reads the ReferenceGrants that allow them, and how soon a route
     * Lattice refused with a conflict tries again.
     */
    static final long GRANT_RECHECK_MILLIS = 10_000;

    private static final Logger log = LoggerFactory.getLogger(HttpRouteReconciler.class);

    private final ControllerConfig config;
    private final RouteModelBuilder builder;
    private final LatticeServiceDeployer deployer;
    private final Clock clock;
    private final ControllerEvents events;
    private final VersionAccess<P, HTTPRouteSpec, HTTPRouteStatus> access;
    private final RouteKind kind;
    private final CustomDomains domains;

    HttpRouteReconciler(ControllerConfig config, RouteModelBuilder builder, LatticeServiceDeployer deployer,
            CustomDomains domains, Clock clock, ControllerEvents events,
            VersionAccess<P, HTTPRouteSpec, HTTPRouteStatus> access) {
        this(config, builder, deployer, domains, clock, events, access, RouteKind.HTTP_ROUTE);
    }

    /**
     * For GRPCRoutes and TLSRoutes too: {@code access} reads their spec in the HTTPRoute shape ({@link RouteSpecs}) and
     * their status as an HTTPRouteStatus (all route statuses are a list of parent statuses).
     */
    HttpRouteReconciler(ControllerConfig config, RouteModelBuilder builder, LatticeServiceDeployer deployer,
            CustomDomains domains, Clock clock, ControllerEvents events,
            VersionAccess<P, HTTPRouteSpec, HTTPRouteStatus> access, RouteKind kind) {
        this.access = access;
        this.events = events;
        this.kind = kind;
        this.domains = domains;
        this.config = config;
        this.builder = builder;
        this.deployer = deployer;
        this.clock = clock;
    }

    final HTTPRouteSpec spec(P route) {
        return access.spec().apply(route);
    }

    final HTTPRouteStatus status(P route) {
        return access.status().apply(route);
    }

    final void setStatus(P route, HTTPRouteStatus status) {
        access.setStatus().accept(route, status);
    }

    @Override
    public UpdateControl<P> reconcile(P route, Context<P> context) {
        RouteView view = new RouteView(route, spec(route));
        RouteModelBuilder.Result result = builder.build(view, kind.kind());
        List<String> notes = new ArrayList<>(); // findings that do not stop the route (CustomDomains)
        String failure = null;
        String failureReason = null;
        boolean pending = false;
        LatticeServiceDeployer.Deployed deployed = null;
        boolean awaitingCertificate = false;
        if (result.unsupported() != null) {
            failureReason = "UnsupportedValue";
            failure = result.unsupported();
        } else if (result.model() != null) {
            try {
                RouteModel model = domains.withCertificate(result.model(), notes);
                awaitingCertificate = domains.awaitsCertificate(model);
                deployed = deployer.deploy(model);
                domains.afterDeploy(route, kind, model, deployed, notes);
            } catch (LatticeServiceDeployer.ServiceConflict conflict) {
                failureReason = "Conflicted";
                failure = conflict.getMessage();
            } catch (LatticeServiceDeployer.NetworkMissing missing) {
                failureReason = "Pending";
                failure = missing.getMessage();
                pending = true;
            } catch (software.amazon.awssdk.services.vpclattice.model.ServiceQuotaExceededException quota) {
                // e.g. more Lattice rules than the listener quota (10 by default on AWS, adjustable): say which one
                failureReason = "UnsupportedValue";
                failure = "VPC Lattice quota exceeded: " + quota.awsErrorDetails().errorMessage();
                pending = true;
            } catch (software.amazon.awssdk.services.vpclattice.model.ConflictException conflict) {
                // another service holds what the route needs — above all its custom domain, which is unique in a
                // service network (two routes with one hostname): say so on the route instead of failing the
                // reconciliation with no status; look again soon, the other route may go away
                failureReason = "Conflicted";
                failure = "VPC Lattice refused the route: " + conflict.awsErrorDetails().errorMessage();
                pending = true;
            } catch (software.amazon.awssdk.services.vpclattice.model.ValidationException refused) {
                // Lattice refused what the route asks for (a certificate it does not know, a bad name): the user must
                // change the route, so say so on it instead of retrying forever; look again later in case it was fixed
                // outside (a certificate imported)
                failureReason = "UnsupportedValue";
                failure = "VPC Lattice refused the route: " + refused.awsErrorDetails().errorMessage();
                pending = true;
            }
        } else {
            // no parent accepts the route (any more): nothing of it may stay in Lattice
            deployer.delete(view.namespace(), view.name(), serviceName(view));
            domains.removeDnsEndpoint(route);
        }
        List<RouteParentStatus> parents = new ArrayList<>();
        List<RouteParentStatus> previous = status(route) == null || status(route).getParents() == null ? List.of()
                : status(route).getParents();
        for (ParentVerdict verdict : result.parents()) {
            List<Condition> conditions = previous.stream()
                    .filter(p -> Objects.equals(p.getParentRef(), verdict.parentRef())).findFirst()
                    .map(RouteParentStatus::getConditions).orElse(List.of());
            Long generation = route.getMetadata().getGeneration();
            if (verdict.accepted() && failure != null) {
                conditions = Conditions.set(conditions, "Accepted", false, failureReason, failure, generation, clock);
            } else if (verdict.accepted() && !notes.isEmpty()) {
                conditions = Conditions.set(conditions, "Accepted", true, verdict.reason(), String.join("; ", notes),
                        generation, clock);
            } else {
                conditions = Conditions.set(conditions, "Accepted", verdict.accepted(), verdict.reason(), verdict.message(),
                        generation, clock);
            }
            String[] refs = result.resolvedRefs();
            conditions = Conditions.set(conditions, "ResolvedRefs", refs == null, refs == null ? "ResolvedRefs" : refs[0],
                    refs == null ? "" : refs[1], generation, clock);
            RouteParentStatus parent = new RouteParentStatus();
            parent.setParentRef(verdict.parentRef());
            parent.setControllerName(config.controllerName());
            parent.setConditions(conditions);
            parents.add(parent);
        }
        // parents owned by other controllers keep their entries
        previous.stream().filter(p -> !config.controllerName().equals(p.getControllerName())).forEach(parents::add);
        HTTPRouteStatus status = new HTTPRouteStatus();
        status.setParents(parents);
        events.statusChanged(route, status(route), status);
        setStatus(route, status);

        Map<String, String> annotations = new HashMap<>(route.getMetadata().getAnnotations() == null ? Map.of()
                : route.getMetadata().getAnnotations());
        boolean annotationsChanged = false;
        if (deployed != null) {
            annotationsChanged |= !Objects.equals(annotations.put(SERVICE_ARN_ANNOTATION, deployed.serviceArn()),
                    deployed.serviceArn());
            if (deployed.domainName() != null) {
                annotationsChanged |= !Objects.equals(annotations.put(ASSIGNED_DOMAIN_ANNOTATION, deployed.domainName()),
                        deployed.domainName());
            }
        } else if (result.model() == null) {
            annotationsChanged |= annotations.remove(SERVICE_ARN_ANNOTATION) != null;
            annotationsChanged |= annotations.remove(ASSIGNED_DOMAIN_ANNOTATION) != null;
        }
        log.info("route {}/{}: {}", view.namespace(), view.name(),
                failure != null ? failureReason + ": " + failure
                        : deployed != null ? "deployed " + deployed.serviceArn() : "not attached to any of our Gateways");
        UpdateControl<P> control;
        if (annotationsChanged) {
            route.getMetadata().setAnnotations(annotations);
            control = UpdateControl.patchResourceAndStatus(route);
        } else {
            control = UpdateControl.patchStatus(route);
        }
        if (pending) {
            return control.rescheduleAfter("Pending".equals(failureReason) ? PENDING_RETRY_MILLIS
                    : "Conflicted".equals(failureReason) ? GRANT_RECHECK_MILLIS : REFUSED_RETRY_MILLIS);
        }
        if (reachesOtherNamespaces(view)) {
            // ReferenceGrants are not watched (which version a cluster serves varies; ReferenceGrants): a route reaching
            // into another namespace looks again periodically, so a grant given or taken away takes effect
            return control.rescheduleAfter(GRANT_RECHECK_MILLIS);
        }
        // served with Lattice's certificate for want of one in ACM: look again, a certificate may be imported later
        return awaitingCertificate ? control.rescheduleAfter(REFUSED_RETRY_MILLIS) : control;
    }

    private static boolean reachesOtherNamespaces(RouteView view) {
        return view.spec() != null && view.spec().getRules() != null && view.spec().getRules().stream()
                .flatMap(rule -> rule.getBackendRefs() == null ? java.util.stream.Stream.<HTTPBackendRef>empty()
                        : rule.getBackendRefs().stream())
                .anyMatch(ref -> ref.getNamespace() != null && !ref.getNamespace().equals(view.namespace()));
    }

    @Override
    public DeleteControl cleanup(P route, Context<P> context) {
        RouteView view = new RouteView(route, spec(route));
        try {
            deployer.delete(view.namespace(), view.name(), serviceName(view));
            domains.removeDnsEndpoint(route);
        } catch (RuntimeException e) {
            if (ControllerRetry.givesUp(context)) {
                // deletion must always finish (controller-facts §4.6): say loudly what may be left behind
                log.error("route {}/{}: giving up cleaning Lattice after retries; service {} and its target groups may remain",
                        view.namespace(), view.name(), serviceName(view), e);
                events.record(route, "Warning", "CleanupAbandoned", "gave up deleting service " + serviceName(view)
                        + " after retries; it and its target groups may remain in Lattice: " + e.getMessage());
                return DeleteControl.defaultDelete();
            }
            throw e;
        }
        return DeleteControl.defaultDelete();
    }

    private static String serviceName(RouteView view) {
        Map<String, String> annotations = view.resource().getMetadata().getAnnotations();
        return LatticeNames.serviceName(view.name(), view.namespace(),
                annotations == null ? null : annotations.get(LatticeNames.SERVICE_NAME_OVERRIDE));
    }

    /**
     * EndpointSlice and Service changes re-run every route whose backendRefs name that Service; Gateway changes (both
     * watched versions) re-run every route whose parentRefs name a Gateway of that name, so a deleted Gateway's routes
     * remove their Lattice services and a changed listener reaches its routes.
     */
    @Override
    public List<EventSource<?, P>> prepareEventSources(EventSourceContext<P> context) {
        var slices = new InformerEventSource<>(InformerEventSourceConfiguration.from(EndpointSlice.class, context.getPrimaryResourceClass())
                .withName("endpointslices")
                .withSecondaryToPrimaryMapper(slice -> {
                    Map<String, String> labels = slice.getMetadata().getLabels();
                    String service = labels == null ? null : labels.get("kubernetes.io/service-name");
                    return service == null ? Set.of() : routesUsing(context, slice.getMetadata().getNamespace(), service);
                })
                .build(), context);
        var services = new InformerEventSource<>(InformerEventSourceConfiguration.from(Service.class, context.getPrimaryResourceClass())
                .withName("services")
                .withSecondaryToPrimaryMapper(service -> routesUsing(context, service.getMetadata().getNamespace(),
                        service.getMetadata().getName()))
                .build(), context);
        List<EventSource<?, P>> sources = new ArrayList<>(List.of(slices, services));
        if (builder.servesServiceImports()) {
            // a ServiceImport's status changes when clusters start or stop exporting it (ServiceImportReconciler)
            sources.add(new InformerEventSource<>(InformerEventSourceConfiguration.from(
                    dev.trellis.controller.policy.ServiceImport.class, context.getPrimaryResourceClass())
                    .withName("serviceimports")
                    .withSecondaryToPrimaryMapper(imported -> routesUsing(context, imported.getMetadata().getNamespace(),
                            imported.getMetadata().getName()))
                    .build(), context));
        }
        if (builder.followsTargetGroupPolicies()) {
            // a policy's protocol settings are part of its Service's group names: a change gives the routes new groups
            sources.add(new InformerEventSource<>(InformerEventSourceConfiguration.from(
                    dev.trellis.controller.policy.TargetGroupPolicy.class, context.getPrimaryResourceClass())
                    .withName("targetgrouppolicies")
                    .withSecondaryToPrimaryMapper(policy -> policy.getSpec() == null
                            || policy.getSpec().getTargetRef() == null ? Set.of()
                            : routesUsing(context, policy.getMetadata().getNamespace(),
                                    policy.getSpec().getTargetRef().getName()))
                    .build(), context));
        }
        if (config.watches("v1")) {
            sources.add(gatewaySource(context, io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway.class, "gateways-v1"));
        }
        if (config.watches("v1beta1")) {
            sources.add(gatewaySource(context, io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway.class,
                    "gateways-v1beta1"));
        }
        return sources;
    }

    private <G extends HasMetadata> EventSource<G, P> gatewaySource(EventSourceContext<P> context, Class<G> type,
            String name) {
        return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, context.getPrimaryResourceClass())
                .withName(name)
                .withSecondaryToPrimaryMapper(gateway -> context.getPrimaryCache().list()
                        .filter(route -> spec(route) != null && spec(route).getParentRefs() != null
                                && spec(route).getParentRefs().stream()
                                        .anyMatch(ref -> gateway.getMetadata().getName().equals(ref.getName())))
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .build(), context);
    }

    private Set<ResourceID> routesUsing(EventSourceContext<P> context, String namespace, String service) {
        return context.getPrimaryCache().list()
                .filter(route -> references(route, namespace, service))
                .map(ResourceID::fromResource)
                .collect(Collectors.toSet());
    }

    private boolean references(P route, String namespace, String service) {
        HTTPRouteSpec spec = spec(route);
        if (spec == null || spec.getRules() == null) {
            return false;
        }
        return spec.getRules().stream()
                .flatMap(rule -> rule.getBackendRefs() == null ? java.util.stream.Stream.<HTTPBackendRef>empty()
                        : rule.getBackendRefs().stream())
                .anyMatch(ref -> service.equals(ref.getName()) && namespace.equals(
                        ref.getNamespace() == null ? route.getMetadata().getNamespace() : ref.getNamespace()));
    }

    /** gateway.networking.k8s.io/v1 HTTPRoutes. */
    @ControllerConfiguration(name = "httproute-v1")
    public static final class V1 extends HttpRouteReconciler<io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute> {
        V1(ControllerConfig config, RouteModelBuilder builder, LatticeServiceDeployer deployer, CustomDomains domains,
                Clock clock, ControllerEvents events) {
            super(config, builder, deployer, domains, clock, events, new VersionAccess<>(
                    io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute::getSpec,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute::getStatus,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute::setStatus));
        }
    }

    /** gateway.networking.k8s.io/v1beta1 HTTPRoutes (the walkthrough's manifests). */
    @ControllerConfiguration(name = "httproute-v1beta1")
    public static final class V1beta1 extends HttpRouteReconciler<io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute> {
        V1beta1(ControllerConfig config, RouteModelBuilder builder, LatticeServiceDeployer deployer, CustomDomains domains,
                Clock clock, ControllerEvents events) {
            super(config, builder, deployer, domains, clock, events, new VersionAccess<>(
                    io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute::getSpec,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute::getStatus,
                    io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute::setStatus));
        }
    }
}
