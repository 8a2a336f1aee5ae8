package dev.trellis.controller;

import java.util.List;
import java.util.Map;

/**
 * What one HTTPRoute should be in Lattice, resolved from Kubernetes and checked: the plan {@link LatticeServiceDeployer}
 * applies. Built by {@link RouteModelBuilder}; immutable.
 */
record RouteModel(
        String routeNamespace,
        String routeName,
        String routeKind,
        String serviceName,
        String customDomainName,
        String certificateArn,
        List<ListenerModel> listeners,
        List<RuleModel> rules,
        List<TargetGroupModel> targetGroups,
        List<String> serviceNetworkNames) {

    RouteModel {
        listeners = List.copyOf(listeners);
        rules = List.copyOf(rules);
        targetGroups = List.copyOf(targetGroups);
        serviceNetworkNames = List.copyOf(serviceNetworkNames);
    }

    /** One Lattice listener per matched Gateway listener (protocol HTTP or HTTPS). */
    record ListenerModel(String name, String protocol, int port) {
    }

    /**
     * One Lattice rule per route rule. {@code pathType} is {@code exact} or {@code prefix}; {@code forwards} empty means a
     * backend did not resolve and the rule answers a fixed 500 (the AWS controller's choice, controller-facts §2).
     */
    record RuleModel(int priority, String pathType, String path, String method, Map<String, String> exactHeaders,
            List<WeightedTargetGroup> forwards) {
    }

    record WeightedTargetGroup(String targetGroupName, int weight) {
    }

    /**
     * An IP target group in the cluster VPC for one (Service, port) a rule forwards to. {@code protocolVersion} is set
     * when the port's appProtocol asks for another version than the route kind's default ({@link AppProtocols}).
     */
    record TargetGroupModel(String name, String serviceNamespace, String serviceName, int servicePort, List<Target> targets,
            String protocolVersion) {
    }

    record Target(String ip, int port) {
    }
}
