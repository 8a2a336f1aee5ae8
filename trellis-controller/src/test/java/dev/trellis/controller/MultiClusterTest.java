package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.trellis.controller.policy.ServiceExport;
import dev.trellis.controller.policy.ServiceImport;
import dev.trellis.controlplane.ControlPlane;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupSummary;

/**
 * The walkthrough's datastore exported from cluster B (ServiceExports) and routed from cluster A (the canary route with
 * ServiceImport backends): two API servers, two VPCs, two controllers, one control plane. A's Lattice rules forward to
 * the target groups B made in B's VPC, with B's endpoints in them.
 */
class MultiClusterTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    static {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    @TempDir
    Path dataDir;

    private ControlPlane controlPlane;
    private VpcLatticeClient lattice;
    private ClusterPair pair;
    private ClusterPair.Cluster a;
    private ClusterPair.Cluster b;


    @BeforeEach
    void start() throws Exception {
        pair = new ClusterPair(dataDir, true);
        controlPlane = pair.controlPlane;
        lattice = pair.lattice;
        a = pair.a;
        b = pair.b;
    }

    @AfterEach
    void stop() {
        pair.close();
    }

    @Test
    void clusterARoutesToTheTargetGroupsClusterBExports() throws Exception {
        HttpServer v1 = SampleCluster.datastore("v1");
        HttpServer v2 = SampleCluster.datastore("v2");
        try (InProcessGateway gatewayA = InProcessGateway.withFabric(controlPlane, a.vpcId(), dataDir.resolve("gw-a"));
                InProcessGateway gatewayB = InProcessGateway.withFabric(controlPlane, b.vpcId(), dataDir.resolve("gw-b"))) {
            exportAndImport(gatewayA, v1.getAddress().getPort(), v2.getAddress().getPort());
        } finally {
            v1.stop(0);
            v2.stop(0);
        }
    }

    private void exportAndImport(InProcessGateway gatewayA, int v1Port, int v2Port) throws Exception {
        // cluster B: the datastore, its endpoints, and its exports (v2's without the federation annotation at first)
        SampleCluster.apply(b.client(), "gateway-lattice.yaml");
        SampleCluster.apply(b.client(), "datastore.yaml");
        b.client().resource(SampleCluster.slice("datastore-v1-svc", "v1-a", java.util.List.of("127.0.0.1"), v1Port)).create();
        b.client().resource(SampleCluster.slice("datastore-v2-svc", "v2-a", java.util.List.of("127.0.0.1"), v2Port)).create();
        b.client().resource(export("datastore-v1-svc", true)).create();
        b.client().resource(export("datastore-v2-svc", false)).create();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(valid("datastore-v2-svc")).containsExactly("False", "NotFederated");
            assertThat(valid("datastore-v1-svc")).containsExactly("True", "Valid");
        });
        assertThat(exportGroups()).extracting(TargetGroupSummary::name).singleElement()
                .satisfies(n -> assertThat(n).startsWith("k8s-apps-datastore-v1-svc-"));
        b.client().resources(ServiceExport.class).inNamespace("apps").withName("datastore-v2-svc").edit(e -> {
            e.getMetadata().setAnnotations(Map.of(ServiceExportReconciler.FEDERATION_ANNOTATION,
                    ServiceExportReconciler.FEDERATION_VALUE));
            return e;
        });
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(exportGroups()).hasSize(2));
        Map<String, String> groupOf = exportGroups().stream().collect(Collectors.toMap(
                g -> g.name().startsWith("k8s-apps-datastore-v1-svc-") ? "v1" : "v2", TargetGroupSummary::id));
        assertThat(exportGroups()).allSatisfy(g -> {
            assertThat(g.vpcIdentifier()).isEqualTo(b.vpcId());
            Map<String, String> tags = lattice.listTagsForResource(r -> r.resourceArn(g.arn())).tags();
            assertThat(tags).containsEntry("application-networking.k8s.aws/SourceTypeKey", "ServiceExport")
                    .containsEntry("application-networking.k8s.aws/ClusterName", "eks-cluster-b")
                    .containsEntry("application-networking.k8s.aws/ServiceNamespace", "apps")
                    .doesNotContainKey("application-networking.k8s.aws/RouteName");
        });
        assertThat(targets(groupOf.get("v1"))).containsExactly("127.0.0.1:" + v1Port);
        assertThat(targets(groupOf.get("v2"))).containsExactly("127.0.0.1:" + v2Port);

        // cluster A: the canary route, its backends ServiceImports
        SampleCluster.apply(a.client(), "gateway-lattice.yaml");
        a.client().resource(serviceImport("datastore-v1-svc")).create();
        a.client().resource(serviceImport("datastore-v2-svc")).create();
        try (InputStream in = Files.newInputStream(ReferenceFiles.resolve("seed/sample/route-datastore-canary.yaml"))) {
            HasMetadata item = a.client().load(in).items().get(0);
            HTTPRoute route = (HTTPRoute) item;
            route.getSpec().getRules().forEach(rule -> rule.getBackendRefs().forEach(ref -> {
                ref.setKind("ServiceImport");
                ref.setGroup("application-networking.k8s.aws");
            }));
            a.client().resource(route).create();
        }
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            HTTPRoute route = a.client().resources(HTTPRoute.class).inNamespace("apps").withName("datastore").get();
            var parent = route.getStatus().getParents().get(0);
            assertThat(Conditions.find(parent.getConditions(), "ResolvedRefs").getStatus()).isEqualTo("True");
            assertThat(forwards(1)).containsExactly(groupOf.get("v1") + "=1");
            // Gateway API prefixes: rules 1 and 2 are /popular and /popular/, 3 and 4 /summary and /summary/
            assertThat(forwards(2)).containsExactly(groupOf.get("v1") + "=1");
            assertThat(forwards(4)).containsExactlyInAnyOrder(groupOf.get("v1") + "=50", groupOf.get("v2") + "=50");
            assertThat(a.client().resources(ServiceImport.class).inNamespace("apps").withName("datastore-v1-svc").get()
                    .getStatus().getClusters()).extracting(ServiceImport.Cluster::getCluster).containsExactly("eks-cluster-b");
        });
        // A made no target group of its own
        assertThat(lattice.listTargetGroups(r -> r.vpcIdentifier(a.vpcId())).items()).isEmpty();

        // a client in A's VPC reaches B's pods through A's gateway and the fabric: /popular v1 only, /summary both
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() ->
                assertThat(gatewayA.get("datastore.sarathy.io", "/popular")).isEqualTo("200 datastore v1 /popular"));
        java.util.Set<String> summaries = new java.util.HashSet<>();
        for (int i = 0; i < 40 && summaries.size() < 2; i++) {
            summaries.add(gatewayA.get("datastore.sarathy.io", "/summary"));
        }
        assertThat(summaries).containsExactlyInAnyOrder("200 datastore v1 /summary", "200 datastore v2 /summary");

        // A's route leaving does not touch B's groups; B's export leaving deletes its group
        a.client().resources(HTTPRoute.class).inNamespace("apps").withName("datastore").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() ->
                assertThat(lattice.listServices(r -> { }).items()).isEmpty());
        assertThat(exportGroups()).hasSize(2);
        b.client().resources(ServiceExport.class).inNamespace("apps").withName("datastore-v1-svc").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(exportGroups())
                .extracting(TargetGroupSummary::id).containsExactly(groupOf.get("v2")));
    }

    /** {@code <group id>=<weight>} of A's rule with this priority. */
    private List<String> forwards(int priority) {
        String service = lattice.listServices(r -> { }).items().stream().filter(s -> s.name().equals("datastore-apps"))
                .findFirst().orElseThrow().id();
        String listener = lattice.listListeners(r -> r.serviceIdentifier(service)).items().get(0).id();
        String rule = lattice.listRules(r -> r.serviceIdentifier(service).listenerIdentifier(listener)).items().stream()
                .filter(r -> r.priority() != null && r.priority() == priority).findFirst().orElseThrow().id();
        return lattice.getRule(r -> r.serviceIdentifier(service).listenerIdentifier(listener).ruleIdentifier(rule))
                .action().forward().targetGroups().stream().map(t -> t.targetGroupIdentifier() + "=" + t.weight()).toList();
    }

    private List<TargetGroupSummary> exportGroups() {
        return lattice.listTargetGroups(r -> r.vpcIdentifier(b.vpcId())).items();
    }

    private List<String> targets(String groupId) {
        return lattice.listTargets(r -> r.targetGroupIdentifier(groupId)).items().stream()
                .map(t -> t.id() + ":" + t.port()).toList();
    }

    private List<String> valid(String name) {
        ServiceExport export = b.client().resources(ServiceExport.class).inNamespace("apps").withName(name).get();
        var condition = Conditions.find(export.getStatus().getConditions(), "Valid");
        return List.of(condition.getStatus(), condition.getReason());
    }

    private static ServiceExport export(String name, boolean federated) {
        ServiceExport export = new ServiceExport();
        var meta = new ObjectMetaBuilder().withName(name).withNamespace("apps");
        if (federated) {
            meta.addToAnnotations(ServiceExportReconciler.FEDERATION_ANNOTATION, ServiceExportReconciler.FEDERATION_VALUE);
        }
        export.setMetadata(meta.build());
        ServiceExport.ExportedPort port = new ServiceExport.ExportedPort();
        port.setPort(80);
        port.setRouteType("HTTP");
        ServiceExport.Spec spec = new ServiceExport.Spec();
        spec.setExportedPorts(List.of(port));
        export.setSpec(spec);
        return export;
    }

    private static ServiceImport serviceImport(String name) {
        ServiceImport imported = new ServiceImport();
        imported.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("apps").build());
        ServiceImport.Spec spec = new ServiceImport.Spec();
        spec.setType("ClusterSetIP");
        ServiceImport.Port port = new ServiceImport.Port();
        port.setPort(80);
        port.setProtocol("TCP");
        spec.setPorts(List.of(port));
        imported.setSpec(spec);
        return imported;
    }
}
