package dev.trellis.controller;

import dev.trellis.controller.GatewayApiObjects.GatewayView;
import dev.trellis.controller.GatewayApiObjects.RouteView;
import dev.trellis.controller.RouteModel.ListenerModel;
import dev.trellis.controller.RouteModel.RuleModel;
import dev.trellis.controller.RouteModel.Target;
import dev.trellis.controller.RouteModel.TargetGroupModel;
import dev.trellis.controller.RouteModel.WeightedTargetGroup;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Turns an HTTPRoute and what it references (Gateways, Services, EndpointSlices) into a {@link RouteModel} plus the
 * per-parent verdicts its status reports. Reads Kubernetes only; never calls Lattice.
 */
final class RouteModelBuilder {

    static final String CERTIFICATE_ARN_OPTION = "application-networking.k8s.aws/certificate-arn";
    static final String RULE_PRIORITY_ANNOTATION = "application-networking.k8s.aws/rule-%d-priority";
    private static final int MAX_HEADER_MATCHES = 5;

    /** The verdict for one parentRef: accepted, or the reason (NoMatchingParent, NotAllowedByListeners, ...). */
    record ParentVerdict(ParentReference parentRef, GatewayView gateway, boolean accepted, String reason, String message) {
    }

    /**
     * @param model        null when no parent accepted the route or the route cannot be expressed in Lattice
     * @param parents      one verdict per parentRef that names a Gateway of this controller
     * @param resolvedRefs null when all backendRefs resolve, else {reason, message}
     * @param unsupported  null when Lattice can express the route, else why not (reported as Accepted=False UnsupportedValue)
     */
    record Result(RouteModel model, List<ParentVerdict> parents, String[] resolvedRefs, String unsupported) {
    }

    private final KubernetesClient client;
    private final GatewayApiObjects objects;
    private final ControllerConfig config;
    private final ReferenceGrants grants;

    /** Resolves ServiceImport backendRefs (set by PolicyControllers); null: only Services resolve. */
    private volatile ServiceImportResolver serviceImports;
    private volatile TargetGroupPolicies targetGroupPolicies;

    void useServiceImports(ServiceImportResolver resolver) {
        this.serviceImports = resolver;
    }

    /** Whether ServiceImport backendRefs resolve (the CRD is installed): routes then watch ServiceImports. */
    boolean servesServiceImports() {
        return serviceImports != null;
    }

    /** With the TargetGroupPolicy CRD installed: a policy's protocol settings name the groups (a change replaces them). */
    void useTargetGroupPolicies(TargetGroupPolicies policies) {
        this.targetGroupPolicies = policies;
    }

    boolean followsTargetGroupPolicies() {
        return targetGroupPolicies != null;
    }

    RouteModelBuilder(KubernetesClient client, GatewayApiObjects objects, ControllerConfig config) {
        this.client = client;
        this.grants = new ReferenceGrants(client);
        this.objects = objects;
        this.config = config;
    }

    Result build(RouteView route, String routeKind) {
        RouteKind kind = RouteKind.of(routeKind);
        List<ParentVerdict> verdicts = new ArrayList<>();
        Map<String, ListenerModel> listeners = new LinkedHashMap<>();
        Set<String> networks = new LinkedHashSet<>();
        String serviceName = LatticeNames.serviceName(route.name(), route.namespace(),
                annotation(route, LatticeNames.SERVICE_NAME_OVERRIDE));
        String certificateArn = null;
        List<Listener> attachedListeners = new ArrayList<>();
        List<ParentReference> parentRefs = route.spec().getParentRefs() == null ? List.of() : route.spec().getParentRefs();
        for (ParentReference parentRef : parentRefs) {
            String namespace = parentRef.getNamespace() == null ? route.namespace() : parentRef.getNamespace();
            Optional<GatewayView> gateway = objects.parent(parentRef, route.namespace());
            if (gateway.isEmpty()) {
                verdicts.add(new ParentVerdict(parentRef, null, false, "NoMatchingParent",
                        "Gateway " + namespace + "/" + parentRef.getName() + " not found"));
                continue;
            }
            if (!objects.isOurClass(gateway.get().spec().getGatewayClassName())) {
                continue; // another controller's parent: its status is not ours to write
            }
            List<Listener> selected = GatewayApiObjects.selectedListeners(parentRef, gateway.get());
            if (selected.isEmpty()) {
                verdicts.add(new ParentVerdict(parentRef, gateway.get(), false, "NoMatchingParent",
                        "Gateway " + gateway.get().namespace() + "/" + parentRef.getName() + " has no listener"
                                + (parentRef.getSectionName() == null ? "" : " named " + parentRef.getSectionName())));
                continue;
            }
            List<Listener> allowed = selected.stream()
                    .filter(l -> objects.allows(l, gateway.get().namespace(), route.namespace(), routeKind)).toList();
            if (allowed.isEmpty()) {
                verdicts.add(new ParentVerdict(parentRef, gateway.get(), false, "NotAllowedByListeners",
                        "the listeners' allowedRoutes do not admit " + routeKind + "s from namespace " + route.namespace()));
                continue;
            }
            List<Listener> usable = allowed.stream().filter(l -> kind.latticeProtocol(l) != null).toList();
            if (usable.isEmpty()) {
                verdicts.add(new ParentVerdict(parentRef, gateway.get(), false, "NotAllowedByListeners",
                        kind.listenerRequirement()));
                continue;
            }
            List<Listener> hostnameMatches = usable.stream()
                    .filter(l -> ListenerHostnames.intersects(l.getHostname(), route.spec().getHostnames())).toList();
            if (hostnameMatches.isEmpty()) {
                verdicts.add(new ParentVerdict(parentRef, gateway.get(), false, "NoMatchingListenerHostname",
                        "no hostname of the route intersects the hostname of a listener it selects"));
                continue;
            }
            attachedListeners.addAll(hostnameMatches);
            for (Listener listener : hostnameMatches) {
                String protocol = kind.latticeProtocol(listener);
                listeners.putIfAbsent(protocol + ":" + listener.getPort(), new ListenerModel(
                        LatticeNames.listenerName(serviceName, listener.getPort(), kind.listenerNameProtocol(protocol)),
                        protocol, listener.getPort()));
                if (certificateArn == null && "HTTPS".equals(listener.getProtocol()) && listener.getTls() != null
                        && listener.getTls().getOptions() != null) {
                    certificateArn = listener.getTls().getOptions().get(CERTIFICATE_ARN_OPTION);
                }
            }
            networks.add(gateway.get().name());
            verdicts.add(new ParentVerdict(parentRef, gateway.get(), true, "Accepted", ""));
        }

        // a TLSRoute's one rule is the passthrough listener's default action: translated one to one
        boolean ruleOrderMode = kind == RouteKind.TLS_ROUTE || hasPriorityAnnotations(route);
        String unsupported = unsupported(route, kind, ruleOrderMode);
        List<String[]> refProblems = new ArrayList<>();
        Map<String, TargetGroupModel> groups = new LinkedHashMap<>();
        List<HTTPRouteRule> routeRules = route.spec().getRules() == null ? List.of() : route.spec().getRules();
        List<List<WeightedTargetGroup>> forwardsPerRule = new ArrayList<>();
        for (HTTPRouteRule rule : routeRules) {
            List<WeightedTargetGroup> forwards = new ArrayList<>();
            boolean allResolved = true;
            for (HTTPBackendRef ref : rule.getBackendRefs() == null ? List.<HTTPBackendRef>of() : rule.getBackendRefs()) {
                if (serviceImports != null && ServiceImportResolver.handles(ref)) {
                    // a cross-cluster backend: the groups other clusters' ServiceExports made (docs/controller.md)
                    allResolved &= serviceImports.add(route.namespace(), ref, groups, forwards, refProblems, routeKind);
                    continue;
                }
                Optional<TargetGroupModel> group = resolve(route, routeKind, ref, refProblems);
                if (group.isEmpty()) {
                    allResolved = false;
                    continue;
                }
                groups.putIfAbsent(group.get().name(), group.get());
                forwards.add(new WeightedTargetGroup(group.get().name(), ref.getWeight() == null ? 1 : ref.getWeight()));
            }
            if (!allResolved || forwards.stream().allMatch(f -> f.weight() == 0)) {
                forwards = List.of();
            }
            forwardsPerRule.add(forwards);
        }
        // Gateway API semantics (LatticeRules) unless the route sets rule priorities itself: then the AWS controller's
        // one Lattice rule per route rule, in the priorities it asks for
        List<RuleModel> rules = ruleOrderMode ? rulesInOrder(route, routeRules, forwardsPerRule)
                : unsupported == null ? LatticeRules.of(routeRules, forwardsPerRule, kind != RouteKind.GRPC_ROUTE) : List.of();
        String[] resolvedRefs = refProblems.isEmpty() ? null : refProblems.get(0);
        boolean anyAccepted = verdicts.stream().anyMatch(ParentVerdict::accepted);
        RouteModel model = !anyAccepted || unsupported != null ? null : new RouteModel(route.namespace(), route.name(), routeKind,
                serviceName, ListenerHostnames.customDomain(route.spec().getHostnames(), attachedListeners), certificateArn, List.copyOf(listeners.values()), rules,
                List.copyOf(groups.values()), List.copyOf(networks));
        return new Result(model, verdicts, resolvedRefs, unsupported);
    }

    /** The AWS controller's translation: rule i → one Lattice rule, priority i + 1 or its annotation, its one match. */
    private List<RuleModel> rulesInOrder(RouteView route, List<HTTPRouteRule> routeRules,
            List<List<WeightedTargetGroup>> forwardsPerRule) {
        List<RuleModel> rules = new ArrayList<>();
        for (int i = 0; i < routeRules.size(); i++) {
            HTTPRouteRule rule = routeRules.get(i);
            HTTPRouteMatch match = rule.getMatches() == null || rule.getMatches().isEmpty() ? null : rule.getMatches().get(0);
            String pathType = "prefix";
            String path = "/";
            if (match != null && match.getPath() != null && match.getPath().getValue() != null) {
                pathType = "Exact".equals(match.getPath().getType()) ? "exact" : "prefix";
                path = match.getPath().getValue();
            }
            Map<String, String> headers = new LinkedHashMap<>();
            if (match != null && match.getHeaders() != null) {
                for (HTTPHeaderMatch header : match.getHeaders()) {
                    headers.put(header.getName(), header.getValue());
                }
            }
            rules.add(new RuleModel(priority(route, i), pathType, path, match == null ? null : match.getMethod(), headers,
                    forwardsPerRule.get(i)));
        }
        return rules;
    }

    private static boolean hasPriorityAnnotations(RouteView route) {
        Map<String, String> annotations = route.resource().getMetadata().getAnnotations();
        return annotations != null && annotations.keySet().stream()
                .anyMatch(k -> k.matches("application-networking\\.k8s\\.aws/rule-\\d+-priority"));
    }

    /** What Lattice rules cannot express, as the AWS controller refuses it (controller-facts §3 "In practice"). */
    private static String unsupported(RouteView route, RouteKind kind, boolean ruleOrderMode) {
        List<HTTPRouteRule> rules = route.spec().getRules() == null ? List.of() : route.spec().getRules();
        if (kind == RouteKind.TLS_ROUTE) {
            return tlsRouteUnsupported(route, rules);
        }
        int latticeRules = ruleOrderMode ? rules.size() : LatticeRules.count(rules, kind != RouteKind.GRPC_ROUTE);
        if (latticeRules > 100) {
            return "a Lattice listener holds at most 100 rules, the route needs " + latticeRules;
        }
        for (int i = 0; i < rules.size(); i++) {
            HTTPRouteRule rule = rules.get(i);
            if (rule.getFilters() != null && !rule.getFilters().isEmpty()) {
                return "rule " + i + ": " + kind.kind() + " filters are not supported by VPC Lattice";
            }
            if (rule.getBackendRefs() != null && rule.getBackendRefs().stream()
                    .anyMatch(ref -> ref.getFilters() != null && !ref.getFilters().isEmpty())) {
                return "rule " + i + ": backendRef filters are not supported by VPC Lattice";
            }
            // Lattice rules have no timeouts, retries or session persistence: refusing beats silently ignoring them
            if (rule.getTimeouts() != null) {
                return "rule " + i + ": timeouts are not supported by VPC Lattice";
            }
            if (rule.getRetry() != null) {
                return "rule " + i + ": retry is not supported by VPC Lattice";
            }
            if (rule.getSessionPersistence() != null) {
                return "rule " + i + ": sessionPersistence is not supported by VPC Lattice";
            }
            if (ruleOrderMode && rule.getMatches() != null && rule.getMatches().size() > 1) {
                return "rule " + i + ": a Lattice rule has one match, the rule has " + rule.getMatches().size()
                        + " (split it into one rule per match, or set no rule-<i>-priority annotation)";
            }
            for (HTTPRouteMatch match : rule.getMatches() == null ? List.<HTTPRouteMatch>of() : rule.getMatches()) {
                String problem = unsupported(match, kind);
                if (problem != null) {
                    return "rule " + i + ": " + problem;
                }
            }
        }
        return null;
    }

    private static String unsupported(HTTPRouteMatch match, RouteKind kind) {
        if (match.getQueryParams() != null && !match.getQueryParams().isEmpty()) {
            return "query parameter matches are not supported by VPC Lattice";
        }
        if (match.getPath() != null && "RegularExpression".equals(match.getPath().getType())) {
            return kind == RouteKind.GRPC_ROUTE
                    ? "method matches must be Exact and name a service (Lattice matches the path /service/method"
                            + " exactly or /service/ as a prefix), got " + match.getPath().getValue()
                    : "path matches must be Exact or PathPrefix";
        }
        if (match.getHeaders() != null) {
            if (match.getHeaders().size() > MAX_HEADER_MATCHES) {
                return "at most 5 header matches, the match has " + match.getHeaders().size();
            }
            if (match.getHeaders().stream().anyMatch(h -> h.getType() != null && !"Exact".equals(h.getType()))) {
                return "header matches must be Exact";
            }
        }
        return null;
    }

    /**
     * A TLSRoute needs a custom domain (Lattice serves passthrough by SNI on it: docs/gateway.md) and forwards all of a
     * listener's connections by one default action, so exactly one rule (controller-facts §2 "Validation rules").
     */
    private static String tlsRouteUnsupported(RouteView route, List<HTTPRouteRule> rules) {
        if (route.spec().getHostnames() == null || route.spec().getHostnames().isEmpty()) {
            return "a TLSRoute needs spec.hostnames: VPC Lattice serves TLS passthrough on the service's custom domain"
                    + " name only, which is hostnames[0]";
        }
        if (rules.size() != 1) {
            return "a TLSRoute must have exactly one rule (VPC Lattice forwards a TLS passthrough listener's connections"
                    + " by one default action), the route has " + rules.size();
        }
        return null;
    }

    /**
     * A backendRef → its target group, or a problem recorded as {reason, message}. The port rule (docs/controller.md):
     * the backendRef port is a Service port; if no Service port has that number, a port whose targetPort has it is
     * used, so the walkthrough's routes (port 3000 = the targetPort behind Service port 80) work unchanged.
     */
    private Optional<TargetGroupModel> resolve(RouteView route, String routeKind, HTTPBackendRef ref,
            List<String[]> problems) {
        String kind = ref.getKind() == null ? "Service" : ref.getKind();
        String group = ref.getGroup() == null ? "" : ref.getGroup();
        if (!"Service".equals(kind) || !group.isEmpty()) {
            problems.add(new String[] {"InvalidKind", "backendRef " + ref.getName() + ": kind " + (group.isEmpty() ? "" : group + "/")
                    + kind + " is not supported (Service only)"});
            return Optional.empty();
        }
        String namespace = ref.getNamespace() == null ? route.namespace() : ref.getNamespace();
        if (!grants.permits(route.namespace(), routeKind, namespace, "", "Service", ref.getName())) {
            problems.add(new String[] {"RefNotPermitted", "backendRef " + namespace + "/" + ref.getName()
                    + ": no ReferenceGrant in namespace " + namespace + " lets " + routeKind + "s of " + route.namespace()
                    + " use it"});
            return Optional.empty();
        }
        Service service = client.services().inNamespace(namespace).withName(ref.getName()).get();
        if (service == null) {
            problems.add(new String[] {"BackendNotFound", "Service " + namespace + "/" + ref.getName() + " not found"});
            return Optional.empty();
        }
        if (ref.getPort() == null) {
            problems.add(new String[] {"UnsupportedValue", "backendRef " + ref.getName() + ": port is required for a Service"});
            return Optional.empty();
        }
        int wanted = ref.getPort();
        List<ServicePort> ports = service.getSpec() == null || service.getSpec().getPorts() == null ? List.of()
                : service.getSpec().getPorts();
        Optional<ServicePort> port = ports.stream().filter(p -> Objects.equals(p.getPort(), wanted)).findFirst()
                .or(() -> ports.stream().filter(p -> targetPortNumber(p) == wanted).findFirst());
        if (port.isEmpty()) {
            problems.add(new String[] {"BackendNotFound", "Service " + namespace + "/" + ref.getName() + " has no port "
                    + wanted + " (neither as port nor as targetPort)"});
            return Optional.empty();
        }
        // the port's appProtocol picks the group's protocol version (AppProtocols); it is part of the name, so a
        // changed appProtocol makes a new group and the old one is collected (a version cannot change in Lattice)
        AppProtocols.Mapping protocol = AppProtocols.of(RouteKind.of(routeKind), namespace, ref.getName(), port.get());
        if (protocol.unsupported() != null) {
            problems.add(new String[] {AppProtocols.UNSUPPORTED_PROTOCOL, protocol.unsupported()});
            return Optional.empty();
        }
        // a TargetGroupPolicy's protocol settings are part of the name too (TargetGroupPolicies.nameProtocol)
        TargetGroupPolicies policies = targetGroupPolicies;
        String nameProtocol = policies == null ? protocol.protocolVersion()
                : policies.nameProtocol(RouteKind.of(routeKind), namespace, ref.getName(), protocol.protocolVersion());
        String name = LatticeNames.targetGroupName(config.clusterName(), config.clusterVpcId(), route.namespace(),
                route.name(), namespace, ref.getName(), port.get().getPort(), nameProtocol);
        return Optional.of(new TargetGroupModel(name, namespace, ref.getName(), port.get().getPort(),
                targets(namespace, ref.getName(), port.get()), protocol.protocolVersion()));
    }

    private static int targetPortNumber(ServicePort port) {
        IntOrString target = port.getTargetPort();
        return target != null && target.getIntVal() != null ? target.getIntVal() : -1;
    }

    /**
     * Ready, non-terminating endpoints of the Service's EndpointSlices, on the slice port whose name is the Service
     * port's name. A terminating endpoint is left out so it is deregistered; unknown readiness counts as ready, as
     * Kubernetes defines it.
     */
    List<Target> targets(String namespace, String serviceName, ServicePort servicePort) {
        String portName = servicePort.getName() == null ? "" : servicePort.getName();
        List<Target> targets = new ArrayList<>();
        for (EndpointSlice slice : client.discovery().v1().endpointSlices().inNamespace(namespace)
                .withLabel("kubernetes.io/service-name", serviceName).list().getItems()) {
            Optional<EndpointPort> port = slice.getPorts() == null ? Optional.empty() : slice.getPorts().stream()
                    .filter(p -> portName.equals(p.getName() == null ? "" : p.getName()) && p.getPort() != null)
                    .findFirst();
            if (port.isEmpty() || slice.getEndpoints() == null) {
                continue;
            }
            for (Endpoint endpoint : slice.getEndpoints()) {
                var conditions = endpoint.getConditions();
                boolean ready = conditions == null || !Boolean.FALSE.equals(conditions.getReady());
                boolean terminating = conditions != null && Boolean.TRUE.equals(conditions.getTerminating());
                if (!ready || terminating || endpoint.getAddresses() == null) {
                    continue;
                }
                for (String address : endpoint.getAddresses()) {
                    targets.add(new Target(address, port.get().getPort()));
                }
            }
        }
        return targets.stream().distinct().toList();
    }

    private int priority(RouteView route, int index) {
        String override = annotation(route, String.format(RULE_PRIORITY_ANNOTATION, index));
        if (override != null) {
            try {
                int value = Integer.parseInt(override.trim());
                if (value >= 1 && value <= 100) {
                    return value;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the default: a bad annotation must not stop the route
            }
        }
        return index + 1;
    }

    private static String annotation(RouteView route, String key) {
        Map<String, String> annotations = route.resource().getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }
}
