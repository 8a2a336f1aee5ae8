package dev.trellis.controller;

import dev.trellis.controller.RouteModel.ListenerModel;
import dev.trellis.controller.RouteModel.RuleModel;
import dev.trellis.controller.RouteModel.TargetGroupModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.FixedResponseAction;
import software.amazon.awssdk.services.vpclattice.model.ForwardAction;
import software.amazon.awssdk.services.vpclattice.model.HeaderMatch;
import software.amazon.awssdk.services.vpclattice.model.HeaderMatchType;
import software.amazon.awssdk.services.vpclattice.model.HttpMatch;
import software.amazon.awssdk.services.vpclattice.model.PathMatch;
import software.amazon.awssdk.services.vpclattice.model.PathMatchType;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;
import software.amazon.awssdk.services.vpclattice.model.RuleAction;
import software.amazon.awssdk.services.vpclattice.model.RuleMatch;
import software.amazon.awssdk.services.vpclattice.model.ServiceSummary;
import software.amazon.awssdk.services.vpclattice.model.Target;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupSummary;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupType;
import software.amazon.awssdk.services.vpclattice.model.WeightedTargetGroup;

/**
 * Applies a {@link RouteModel} to Lattice, converging whatever exists towards it, and removes a route's resources. Every
 * step is idempotent, so a failed reconcile is simply run again. Resources are found by name and recognised as ours by
 * their tags ({@link LatticeTags}); a same-named resource that is not ours is never modified ({@link ServiceConflict}).
 */
final class LatticeServiceDeployer {

    private static final Logger log = LoggerFactory.getLogger(LatticeServiceDeployer.class);
    private static final int TARGETS_PER_CALL = 100;
    private static final String PASSTHROUGH = "TLS_PASSTHROUGH";

    /**
     * The Lattice service a route owns, as written back into the route's annotations, with the custom domain name it
     * really has (Lattice cannot change it after creation, so it may differ from the model's: {@link CustomDomains}).
     */
    record Deployed(String serviceArn, String domainName, String customDomainName) {
    }

    /** A Lattice service of the route's name exists and belongs to someone else (another route, cluster or tool). */
    static final class ServiceConflict extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ServiceConflict(String message) {
            super(message);
        }
    }

    /** A parent's service network could not be found (CREATE_SERVICE_NETWORKS=false, or the Gateway is not ready). */
    static final class NetworkMissing extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NetworkMissing(String message) {
            super(message);
        }
    }

    private final VpcLatticeClient lattice;
    private final ControllerConfig config;
    private final ServiceNetworkSynchronizer networks;

    /** TargetGroupPolicies adjust the groups this deployer creates; null (tests, or no policies) leaves the defaults. */
    private volatile TargetGroupPolicies targetGroupPolicies;

    void useTargetGroupPolicies(TargetGroupPolicies policies) {
        this.targetGroupPolicies = policies;
    }

    LatticeServiceDeployer(VpcLatticeClient lattice, ControllerConfig config, ServiceNetworkSynchronizer networks) {
        this.lattice = lattice;
        this.config = config;
        this.networks = networks;
    }

    Deployed deploy(RouteModel model) {
        ServiceSummary service = ensureService(model);
        Map<String, String> groupIds = new HashMap<>();
        for (TargetGroupModel group : model.targetGroups()) {
            groupIds.put(group.name(), ensureTargetGroup(model, group));
        }
        syncListeners(model, service.id(), groupIds);
        syncAssociations(model, service.id());
        collectTargetGroups(model.routeNamespace(), model.routeName(), groupIds.keySet());
        return new Deployed(service.arn(), service.dnsEntry() == null ? null : service.dnsEntry().domainName(),
                service.customDomainName());
    }

    /** Deletes the route's service (with its associations, listeners and rules) and target groups. */
    void delete(String routeNamespace, String routeName, String serviceName) {
        findService(serviceName).ifPresent(service -> {
            if (!isRouteOwned(service.arn(), routeNamespace, routeName)) {
                log.info("route {}/{}: service {} is not ours, left alone", routeNamespace, routeName, serviceName);
                return;
            }
            for (var association : lattice.listServiceNetworkServiceAssociationsPaginator(
                    r -> r.serviceIdentifier(service.id())).items()) {
                ignoreNotFound(() -> lattice.deleteServiceNetworkServiceAssociation(
                        r -> r.serviceNetworkServiceAssociationIdentifier(association.id())));
            }
            ignoreNotFound(() -> lattice.deleteService(r -> r.serviceIdentifier(service.id())));
            log.info("route {}/{}: deleted service {}", routeNamespace, routeName, serviceName);
        });
        collectTargetGroups(routeNamespace, routeName, Set.of());
    }

    private ServiceSummary ensureService(RouteModel model) {
        Optional<ServiceSummary> existing = findService(model.serviceName());
        if (existing.isPresent()) {
            Map<String, String> tags = tags(existing.get().arn());
            if (!config.managedBy().equals(tags.get(LatticeTags.MANAGED_BY))
                    || !model.routeNamespace().equals(tags.get(LatticeTags.ROUTE_NAMESPACE))
                    || !model.routeName().equals(tags.get(LatticeTags.ROUTE_NAME))) {
                throw new ServiceConflict("VPC Lattice service " + model.serviceName() + " already exists and is managed by "
                        + describeOwner(tags) + "; set the annotation " + LatticeNames.SERVICE_NAME_OVERRIDE
                        + " to choose another name");
            }
            if (model.certificateArn() != null) {
                var current = lattice.getService(r -> r.serviceIdentifier(existing.get().id()));
                if (!model.certificateArn().equals(current.certificateArn())) {
                    lattice.updateService(r -> r.serviceIdentifier(existing.get().id()).certificateArn(model.certificateArn()));
                }
            }
            return existing.get();
        }
        var created = lattice.createService(r -> r.name(model.serviceName())
                .customDomainName(model.customDomainName())
                .certificateArn(model.certificateArn())
                .tags(Map.of(LatticeTags.MANAGED_BY, config.managedBy(),
                        LatticeTags.ROUTE_NAME, model.routeName(),
                        LatticeTags.ROUTE_NAMESPACE, model.routeNamespace(),
                        LatticeTags.ROUTE_TYPE, model.routeKind().toLowerCase(java.util.Locale.ROOT))));
        log.info("route {}/{}: created service {} ({})", model.routeNamespace(), model.routeName(), created.name(), created.id());
        return ServiceSummary.builder().id(created.id()).arn(created.arn()).name(created.name())
                .dnsEntry(created.dnsEntry()).customDomainName(created.customDomainName()).build();
    }

    private static String describeOwner(Map<String, String> tags) {
        String owner = tags.get(LatticeTags.MANAGED_BY);
        if (owner == null) {
            return "no Gateway API controller (no " + LatticeTags.MANAGED_BY + " tag)";
        }
        String route = tags.get(LatticeTags.ROUTE_NAMESPACE) + "/" + tags.get(LatticeTags.ROUTE_NAME);
        return owner + " for route " + route;
    }

    private String ensureTargetGroup(RouteModel model, TargetGroupModel group) {
        if (group.targets() == null) {
            return group.name(); // an imported group (ServiceImport): its id, used as it is (ServiceImportResolver)
        }
        Optional<TargetGroupSummary> existing = lattice.listTargetGroupsPaginator(r -> r.vpcIdentifier(config.clusterVpcId()))
                .items().stream().filter(g -> group.name().equals(g.name())).findFirst();
        String id;
        if (existing.isPresent()) {
            id = existing.get().id();
        } else {
            Map<String, String> tags = new HashMap<>();
            tags.put(LatticeTags.MANAGED_BY, config.managedBy());
            tags.put(LatticeTags.CLUSTER_NAME, config.clusterName());
            tags.put(LatticeTags.SERVICE_NAME, group.serviceName());
            tags.put(LatticeTags.SERVICE_NAMESPACE, group.serviceNamespace());
            tags.put(LatticeTags.ROUTE_NAME, model.routeName());
            tags.put(LatticeTags.ROUTE_NAMESPACE, model.routeNamespace());
            tags.put(LatticeTags.SOURCE_TYPE, model.routeKind());
            RouteKind kind = RouteKind.of(model.routeKind());
            // the port's appProtocol may ask for another version (AppProtocols); a TargetGroupPolicy below still wins
            String version = group.protocolVersion() != null ? group.protocolVersion() : kind.targetGroupProtocolVersion();
            tags.put(LatticeTags.PROTOCOL_VERSION, version == null ? kind.targetGroupProtocol() : version);
            // port 80 is a placeholder, as the AWS controller sets it: each target carries its own port. No health
            // check is given: Lattice's defaults per protocol apply (on for HTTP1, off for HTTP2, GRPC and TCP groups).
            var groupConfig = software.amazon.awssdk.services.vpclattice.model.TargetGroupConfig.builder()
                    .port(80).protocol(kind.targetGroupProtocol()).protocolVersion(version)
                    .vpcIdentifier(config.clusterVpcId());
            if (targetGroupPolicies != null) {
                // a TargetGroupPolicy's protocol and health check: the protocol can only be chosen now
                targetGroupPolicies.adjust(group.serviceNamespace(), group.serviceName(), groupConfig);
            }
            id = lattice.createTargetGroup(r -> r.name(group.name()).type(TargetGroupType.IP)
                    .config(groupConfig.build())
                    .tags(tags)).id();
            log.info("route {}/{}: created target group {} ({})", model.routeNamespace(), model.routeName(), group.name(), id);
        }
        syncTargets(id, group.targets());
        return id;
    }

    /** Deregisters what is no longer wanted first (terminating pods leave before new ones arrive), then registers. */
    void syncTargets(String groupId, List<RouteModel.Target> wanted) {
        Set<RouteModel.Target> desired = new HashSet<>(wanted);
        Set<RouteModel.Target> current = lattice.listTargetsPaginator(r -> r.targetGroupIdentifier(groupId)).items().stream()
                .map(t -> new RouteModel.Target(t.id(), t.port())).collect(Collectors.toSet());
        List<Target> stale = current.stream().filter(t -> !desired.contains(t)).map(LatticeServiceDeployer::target).toList();
        List<Target> missing = desired.stream().filter(t -> !current.contains(t)).map(LatticeServiceDeployer::target).toList();
        if (!stale.isEmpty() || !missing.isEmpty()) {
            log.info("target group {}: deregistering {}, registering {}", groupId, stale.size(), missing.size());
        }
        for (List<Target> batch : batches(stale)) {
            lattice.deregisterTargets(r -> r.targetGroupIdentifier(groupId).targets(batch));
        }
        for (List<Target> batch : batches(missing)) {
            var refused = lattice.registerTargets(r -> r.targetGroupIdentifier(groupId).targets(batch)).unsuccessful();
            if (!refused.isEmpty()) {
                log.warn("target group {}: Lattice refused targets {}", groupId, refused);
            }
        }
    }

    private void syncListeners(RouteModel model, String serviceId, Map<String, String> groupIds) {
        var existing = lattice.listListenersPaginator(r -> r.serviceIdentifier(serviceId)).items().stream().toList();
        Set<String> wanted = model.listeners().stream().map(ListenerModel::name).collect(Collectors.toSet());
        for (var listener : existing) {
            boolean keep = model.listeners().stream().anyMatch(l -> l.name().equals(listener.name())
                    && l.port() == listener.port() && l.protocol().equals(listener.protocolAsString()));
            if (!keep || !wanted.contains(listener.name())) {
                ignoreNotFound(() -> lattice.deleteListener(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listener.id())));
            }
        }
        for (ListenerModel listener : model.listeners()) {
            if (PASSTHROUGH.equals(listener.protocol())) {
                syncPassthroughListener(model, serviceId, listener, existing, groupIds);
                continue;
            }
            String listenerId = existing.stream()
                    .filter(l -> l.name().equals(listener.name()) && l.port() == listener.port()
                            && l.protocolAsString().equals(listener.protocol()))
                    .map(l -> l.id()).findFirst()
                    .orElseGet(() -> lattice.createListener(r -> r.serviceIdentifier(serviceId).name(listener.name())
                            .protocol(listener.protocol()).port(listener.port())
                            .defaultAction(a -> a.fixedResponse(f -> f.statusCode(404)))).id());
            syncRules(model, serviceId, listenerId, groupIds);
        }
    }

    /**
     * A TLS_PASSTHROUGH listener has no rules: its default action forwards to the route's one rule's target groups
     * (controller-facts §2). Lattice forwards only there, so while a backend does not resolve (ResolvedRefs=False) the
     * listener is left out rather than given an action it cannot have.
     */
    private void syncPassthroughListener(RouteModel model, String serviceId, ListenerModel listener,
            List<software.amazon.awssdk.services.vpclattice.model.ListenerSummary> existing, Map<String, String> groupIds) {
        var current = existing.stream()
                .filter(l -> l.name().equals(listener.name()) && l.port() == listener.port()
                        && l.protocolAsString().equals(listener.protocol()))
                .findFirst();
        List<RouteModel.WeightedTargetGroup> forwards = model.rules().isEmpty() ? List.of() : model.rules().get(0).forwards();
        if (forwards.isEmpty()) {
            current.ifPresent(l -> ignoreNotFound(() -> lattice.deleteListener(r -> r.serviceIdentifier(serviceId)
                    .listenerIdentifier(l.id()))));
            return;
        }
        RuleAction action = action(model.rules().get(0), groupIds);
        if (current.isEmpty()) {
            lattice.createListener(r -> r.serviceIdentifier(serviceId).name(listener.name())
                    .protocol(listener.protocol()).port(listener.port()).defaultAction(action));
            return;
        }
        var got = lattice.getListener(r -> r.serviceIdentifier(serviceId).listenerIdentifier(current.get().id()));
        if (!action.equals(got.defaultAction())) {
            lattice.updateListener(r -> r.serviceIdentifier(serviceId).listenerIdentifier(current.get().id())
                    .defaultAction(action));
        }
    }

    private void syncRules(RouteModel model, String serviceId, String listenerId, Map<String, String> groupIds) {
        var existing = lattice.listRulesPaginator(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listenerId))
                .items().stream().filter(r -> !Boolean.TRUE.equals(r.isDefault())).toList();
        Map<String, RuleModel> wanted = new HashMap<>();
        for (RuleModel rule : model.rules()) {
            wanted.put(LatticeNames.ruleName(rule.priority()), rule);
        }
        for (var rule : existing) {
            if (!wanted.containsKey(rule.name())) {
                ignoreNotFound(() -> lattice.deleteRule(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listenerId)
                        .ruleIdentifier(rule.id())));
            }
        }
        for (var entry : wanted.entrySet()) {
            RuleModel rule = entry.getValue();
            RuleMatch match = match(rule);
            RuleAction action = action(rule, groupIds);
            var current = existing.stream().filter(r -> r.name().equals(entry.getKey())).findFirst();
            if (current.isEmpty()) {
                lattice.createRule(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listenerId).name(entry.getKey())
                        .priority(rule.priority()).match(match).action(action));
                continue;
            }
            var got = lattice.getRule(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listenerId)
                    .ruleIdentifier(current.get().id()));
            if (!match.equals(got.match()) || !action.equals(got.action())) {
                lattice.updateRule(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listenerId)
                        .ruleIdentifier(current.get().id()).match(match).action(action));
            }
        }
    }

    /**
     * Path matches are case-sensitive, as Gateway API defines them (the AWS controller builds them case-insensitive,
     * controller-facts §2; its users' lower-case paths route the same either way).
     */
    private static RuleMatch match(RuleModel rule) {
        PathMatchType pathType = "exact".equals(rule.pathType()) ? PathMatchType.builder().exact(rule.path()).build()
                : PathMatchType.builder().prefix(rule.path()).build();
        HttpMatch.Builder http = HttpMatch.builder()
                .pathMatch(PathMatch.builder().match(pathType).caseSensitive(true).build());
        if (rule.method() != null) {
            http.method(rule.method());
        }
        if (!rule.exactHeaders().isEmpty()) {
            http.headerMatches(rule.exactHeaders().entrySet().stream().map(h -> HeaderMatch.builder().name(h.getKey())
                    .match(HeaderMatchType.builder().exact(h.getValue()).build()).build()).toList());
        }
        return RuleMatch.builder().httpMatch(http.build()).build();
    }

    private static RuleAction action(RuleModel rule, Map<String, String> groupIds) {
        if (rule.forwards().isEmpty()) {
            return RuleAction.builder().fixedResponse(FixedResponseAction.builder().statusCode(500).build()).build();
        }
        return RuleAction.builder().forward(ForwardAction.builder().targetGroups(rule.forwards().stream()
                .map(f -> WeightedTargetGroup.builder().targetGroupIdentifier(groupIds.get(f.targetGroupName()))
                        .weight(f.weight()).build())
                .toList()).build()).build();
    }

    private void syncAssociations(RouteModel model, String serviceId) {
        Map<String, String> wantedIds = new HashMap<>();
        for (String gatewayName : model.serviceNetworkNames()) {
            String networkName = networks.networkName(gatewayName);
            var network = networks.find(networkName)
                    .orElseThrow(() -> new NetworkMissing("VPC Lattice service network " + networkName + " not found"));
            wantedIds.put(network.id(), network.name());
        }
        var existing = lattice.listServiceNetworkServiceAssociationsPaginator(r -> r.serviceIdentifier(serviceId))
                .items().stream().toList();
        for (var association : existing) {
            if (!wantedIds.containsKey(association.serviceNetworkId())) {
                ignoreNotFound(() -> lattice.deleteServiceNetworkServiceAssociation(
                        r -> r.serviceNetworkServiceAssociationIdentifier(association.id())));
            }
        }
        for (String networkId : wantedIds.keySet()) {
            if (existing.stream().noneMatch(a -> networkId.equals(a.serviceNetworkId()))) {
                lattice.createServiceNetworkServiceAssociation(r -> r.serviceIdentifier(serviceId)
                        .serviceNetworkIdentifier(networkId)
                        .tags(Map.of(LatticeTags.MANAGED_BY, config.managedBy())));
            }
        }
    }

    /** Deletes the route's target groups (found by tags) whose names are not in {@code keep}. */
    private void collectTargetGroups(String routeNamespace, String routeName, Set<String> keep) {
        for (TargetGroupSummary group : lattice.listTargetGroupsPaginator(r -> r.vpcIdentifier(config.clusterVpcId())).items()) {
            if (keep.contains(group.name()) || !group.name().startsWith("k8s-")) {
                continue;
            }
            if (!isRouteOwned(group.arn(), routeNamespace, routeName)) {
                continue;
            }
            deleteTargetGroup(group);
            log.info("route {}/{}: deleted target group {}", routeNamespace, routeName, group.name());
        }
    }

    /** Deregisters a group's targets (in batches Lattice accepts), then deletes it; one gone meanwhile is fine. */
    void deleteTargetGroup(TargetGroupSummary group) {
        var targets = lattice.listTargetsPaginator(r -> r.targetGroupIdentifier(group.id())).items().stream()
                .map(t -> Target.builder().id(t.id()).port(t.port()).build()).toList();
        for (List<Target> batch : batches(targets)) {
            ignoreNotFound(() -> lattice.deregisterTargets(r -> r.targetGroupIdentifier(group.id()).targets(batch)));
        }
        ignoreNotFound(() -> lattice.deleteTargetGroup(r -> r.targetGroupIdentifier(group.id())));
    }

    private boolean isRouteOwned(String arn, String routeNamespace, String routeName) {
        Map<String, String> tags = tags(arn);
        return config.managedBy().equals(tags.get(LatticeTags.MANAGED_BY))
                && routeNamespace.equals(tags.get(LatticeTags.ROUTE_NAMESPACE))
                && routeName.equals(tags.get(LatticeTags.ROUTE_NAME));
    }

    private Optional<ServiceSummary> findService(String name) {
        return lattice.listServicesPaginator(r -> { }).items().stream().filter(s -> name.equals(s.name())).findFirst();
    }

    private Map<String, String> tags(String arn) {
        return lattice.listTagsForResource(r -> r.resourceArn(arn)).tags();
    }

    private static Target target(RouteModel.Target t) {
        return Target.builder().id(t.ip()).port(t.port()).build();
    }

    private static <T> List<List<T>> batches(List<T> items) {
        List<List<T>> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i += TARGETS_PER_CALL) {
            out.add(items.subList(i, Math.min(items.size(), i + TARGETS_PER_CALL)));
        }
        return out;
    }

    private static void ignoreNotFound(Runnable call) {
        try {
            call.run();
        } catch (ResourceNotFoundException gone) {
            // already deleted: deletion is the goal
        }
    }
}
