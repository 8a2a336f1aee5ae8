package dev.trellis.controller;

import java.util.List;
import java.util.Set;

/**
 * The Kubernetes API permissions {@code trellis controller} needs, one RBAC rule per line: the source of truth for the
 * ClusterRole in {@code deploy/kubernetes/rbac.yaml}, which trellis-cli's {@code KubernetesManifestsTest} compares with
 * this list both ways (nothing missing, nothing extra) and with the kinds a started {@link TrellisController} really
 * watches ({@link TrellisController#watchedKinds()}). Whoever makes the controller read or write a new kind adds it
 * here and to the ClusterRole.
 */
public final class ControllerPermissions {

    /** One RBAC rule: an API group ("" is core), resources (with subresources as {@code kind/status}) and verbs. */
    public record Rule(String apiGroup, Set<String> resources, Set<String> verbs) {
        public Rule {
            resources = Set.copyOf(resources);
            verbs = Set.copyOf(verbs);
        }
    }

    private static final Set<String> READ = Set.of("get", "list", "watch");
    /** Primary resources: read, plus patch/update for the finalizer and the annotations written back. */
    private static final Set<String> RECONCILED = Set.of("get", "list", "watch", "update", "patch");
    private static final Set<String> STATUS = Set.of("get", "update", "patch");
    private static final Set<String> FINALIZERS = Set.of("update");

    private static final String GATEWAY_API = "gateway.networking.k8s.io";
    private static final String AWS = "application-networking.k8s.aws";

    /** Everything the controller does with the API server. */
    public static final List<Rule> RULES = List.of(
            new Rule(GATEWAY_API, Set.of("gatewayclasses", "gateways", "httproutes", "grpcroutes", "tlsroutes"),
                    RECONCILED),
            new Rule(GATEWAY_API, Set.of("gatewayclasses/status", "gateways/status", "httproutes/status",
                    "grpcroutes/status", "tlsroutes/status"), STATUS),
            new Rule(GATEWAY_API, Set.of("gateways/finalizers", "httproutes/finalizers", "grpcroutes/finalizers",
                    "tlsroutes/finalizers"), FINALIZERS),
            // The AWS controller's policy CRDs and its multi-cluster kinds (deploy/kubernetes/crds/).
            new Rule(AWS, Set.of("targetgrouppolicies", "vpcassociationpolicies", "iamauthpolicies",
                    "accesslogpolicies", "serviceexports", "serviceimports"), RECONCILED),
            new Rule(AWS, Set.of("targetgrouppolicies/status", "vpcassociationpolicies/status",
                    "iamauthpolicies/status", "accesslogpolicies/status", "serviceexports/status",
                    "serviceimports/status"), STATUS),
            new Rule(AWS, Set.of("targetgrouppolicies/finalizers", "vpcassociationpolicies/finalizers",
                    "iamauthpolicies/finalizers", "accesslogpolicies/finalizers", "serviceexports/finalizers",
                    "serviceimports/finalizers"), FINALIZERS),
            // Backends and their endpoints; namespaces for allowedRoutes selectors.
            new Rule("", Set.of("services", "namespaces"), READ),
            new Rule("discovery.k8s.io", Set.of("endpointslices"), READ),
            // ExternalDNS records for the routes' custom domains, written only when the CRD exists.
            new Rule("externaldns.k8s.io", Set.of("dnsendpoints"),
                    Set.of("get", "list", "watch", "create", "update", "patch", "delete")),
            // which optional kinds are installed, at start and while running (CrdWatch: CRDs applied later)
            new Rule("apiextensions.k8s.io", Set.of("customresourcedefinitions"), READ),
            // Kubernetes events on the objects (ControllerEvents: create, or get + patch to bump a repeated one), and
            // the leader-election Lease (fabric8's LeaseLock: get, create, update; patch for good measure).
            new Rule("", Set.of("events"), Set.of("get", "create", "patch")),
            new Rule("coordination.k8s.io", Set.of("leases"), Set.of("get", "create", "update", "patch")));

    private ControllerPermissions() {
    }

    /** Whether some rule grants {@code verb} on {@code resource} of {@code apiGroup}. */
    public static boolean allows(String apiGroup, String resource, String verb) {
        return RULES.stream().anyMatch(r -> r.apiGroup().equals(apiGroup) && r.resources().contains(resource)
                && r.verbs().contains(verb));
    }
}
