package dev.trellis.controller;

import dev.trellis.controller.RouteModel.TargetGroupModel;
import dev.trellis.controller.RouteModel.WeightedTargetGroup;
import dev.trellis.controller.policy.ServiceExport;
import dev.trellis.controller.policy.ServiceImport;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupSummary;

/**
 * A backendRef of kind ServiceImport → the target groups exported (by ServiceExports, in any cluster) for the Service
 * of that name and namespace, found by their tags; or, with the ServiceImport's {@code target-group-arn} annotation,
 * that one group as it is (ECS, Lambda or EC2 backends migrating in: never tagged, never registered to, never
 * deleted). Such groups enter the route's model with {@code targets == null}: the deployer uses them as they are.
 */
final class ServiceImportResolver {

    static final String KIND = "ServiceImport";
    static final String EXPORT_NAME_ANNOTATION = LatticeTags.PREFIX + "export-name";
    static final String CLUSTER_ANNOTATION = LatticeTags.PREFIX + "aws-eks-cluster-name";
    static final String VPC_ANNOTATION = LatticeTags.PREFIX + "aws-vpc";
    static final String TARGET_GROUP_ARN_ANNOTATION = LatticeTags.PREFIX + "target-group-arn";

    /** An exported group: its id, the cluster that exported it. */
    record Exported(String id, String name, String clusterName, String vpcId) {
    }

    private final KubernetesClient client;
    private final VpcLatticeClient lattice;

    ServiceImportResolver(KubernetesClient client, VpcLatticeClient lattice) {
        this.client = client;
        this.lattice = lattice;
    }

    static boolean handles(HTTPBackendRef ref) {
        return KIND.equals(ref.getKind()) && ServiceExport.GROUP.equals(ref.getGroup());
    }

    /**
     * Adds the imported groups of {@code ref} to a rule being built: each exporting cluster's group gets the
     * backendRef's weight. False (and a problem recorded as {reason, message}) when there is none.
     */
    boolean add(String routeNamespace, HTTPBackendRef ref, Map<String, TargetGroupModel> groups,
            List<WeightedTargetGroup> forwards, List<String[]> problems, String routeKind) {
        String namespace = ref.getNamespace() == null ? routeNamespace : ref.getNamespace();
        ServiceImport imported = client.resources(ServiceImport.class).inNamespace(namespace).withName(ref.getName()).get();
        if (imported == null) {
            problems.add(new String[] {"BackendNotFound", "ServiceImport " + namespace + "/" + ref.getName() + " not found"});
            return false;
        }
        List<Exported> found;
        try {
            found = resolve(imported, routeKind);
        } catch (ResourceNotFoundException | IllegalArgumentException bad) {
            problems.add(new String[] {"InvalidExternalTargetGroup", "ServiceImport " + namespace + "/" + ref.getName() + ": "
                    + bad.getMessage()});
            return false;
        }
        if (found.isEmpty()) {
            problems.add(new String[] {"BackendNotFound", "no cluster exports " + namespace + "/" + ref.getName()
                    + " (a ServiceExport with the annotation application-networking.k8s.aws/federation: amazon-vpc-lattice)"});
            return false;
        }
        int weight = ref.getWeight() == null ? 1 : ref.getWeight();
        for (Exported group : found) {
            groups.putIfAbsent(group.id(), new TargetGroupModel(group.id(), namespace, ref.getName(), 0, null, null));
            forwards.add(new WeightedTargetGroup(group.id(), weight));
        }
        return true;
    }

    /**
     * The groups an import resolves to: by the {@code target-group-arn} annotation, else the ServiceExport groups of
     * that name (or {@code export-name}) and namespace, narrowed by cluster name and VPC annotations — one per exporting
     * cluster, the one suiting the route kind (GRPC for GRPCRoute, TCP for TLSRoute, HTTP otherwise), lowest port first.
     */
    List<Exported> resolve(ServiceImport imported, String routeKind) {
        Map<String, String> annotations = imported.getMetadata().getAnnotations() == null ? Map.of()
                : imported.getMetadata().getAnnotations();
        String direct = annotations.get(TARGET_GROUP_ARN_ANNOTATION);
        if (direct != null && !direct.isBlank()) {
            var group = lattice.getTargetGroup(r -> r.targetGroupIdentifier(direct.trim()));
            return List.of(new Exported(group.id(), group.name(), null, group.config() == null ? null
                    : group.config().vpcIdentifier()));
        }
        String exportName = annotations.getOrDefault(EXPORT_NAME_ANNOTATION, imported.getMetadata().getName());
        String namespace = imported.getMetadata().getNamespace();
        String cluster = annotations.get(CLUSTER_ANNOTATION);
        String vpc = annotations.get(VPC_ANNOTATION);
        Map<String, Exported> perCluster = new LinkedHashMap<>();
        List<TargetGroupSummary> candidates = new ArrayList<>();
        for (TargetGroupSummary group : lattice.listTargetGroupsPaginator(r -> { }).items()) {
            if (group.name() != null && group.name().startsWith("k8s-") && (vpc == null || vpc.equals(group.vpcIdentifier()))
                    && suits(group, routeKind)) {
                candidates.add(group);
            }
        }
        candidates.sort(Comparator.comparing(g -> g.port() == null ? 0 : g.port()));
        for (TargetGroupSummary group : candidates) {
            Map<String, String> tags = lattice.listTagsForResource(r -> r.resourceArn(group.arn())).tags();
            if (!ServiceExportReconciler.SOURCE_TYPE.equals(tags.get(LatticeTags.SOURCE_TYPE))
                    || !exportName.equals(tags.get(LatticeTags.SERVICE_NAME))
                    || !namespace.equals(tags.get(LatticeTags.SERVICE_NAMESPACE))
                    || (cluster != null && !cluster.equals(tags.get(LatticeTags.CLUSTER_NAME)))) {
                continue;
            }
            if (!protocolVersionSuits(tags.get(LatticeTags.PROTOCOL_VERSION), routeKind)) {
                continue;
            }
            String owner = tags.get(LatticeTags.CLUSTER_NAME) + "/" + group.vpcIdentifier();
            perCluster.putIfAbsent(owner, new Exported(group.id(), group.name(), tags.get(LatticeTags.CLUSTER_NAME),
                    group.vpcIdentifier()));
        }
        return List.copyOf(perCluster.values());
    }

    /** The names of the clusters exporting what an import resolves to (its status). */
    Set<String> clusters(ServiceImport imported) {
        Set<String> out = new TreeSet<>();
        for (Exported group : resolve(imported, "HTTPRoute")) {
            if (group.clusterName() != null) {
                out.add(group.clusterName());
            }
        }
        return out;
    }

    private static boolean suits(TargetGroupSummary group, String routeKind) {
        boolean tcp = "TCP".equals(group.protocolAsString());
        return "TLSRoute".equals(routeKind) == tcp;
    }

    private static boolean protocolVersionSuits(String version, String routeKind) {
        if ("TLSRoute".equals(routeKind)) {
            return true;
        }
        return "GRPCRoute".equals(routeKind) == "GRPC".equals(version);
    }
}
