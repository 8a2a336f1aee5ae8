package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.trellis.controlplane.ControlPlane;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.ListenerSummary;
import software.amazon.awssdk.services.vpclattice.model.RuleSummary;
import software.amazon.awssdk.services.vpclattice.model.ServiceSummary;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupSummary;

/**
 * The walkthrough's manifests, applied as the blog applies them, against fabric8's Kubernetes mock server (CRUD mode) as
 * the API server and a real in-process Trellis control plane as VPC Lattice; everything is checked through the Lattice
 * API with the AWS SDK, as a user would.
 */
@EnableKubernetesMockClient(crud = true)
class WalkthroughControllerTest {

    /** Generous: the machine these tests run on is shared and often loaded. */
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    static {
        // the mock server logs every request through java.util.logging
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    // instance fields: a fresh API server for every test
    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dataDir;

    private ControllerFixture fixture;
    private ControlPlane controlPlane;
    private VpcLatticeClient lattice;
    private String vpcId;
    private HttpServer v1;
    private HttpServer v2;

    @BeforeEach
    void start() throws Exception {
        v1 = SampleCluster.datastore("v1");
        v2 = SampleCluster.datastore("v2");
        fixture = new ControllerFixture(dataDir, client, Map.of());
        controlPlane = fixture.controlPlane;
        lattice = fixture.lattice;
        vpcId = fixture.vpcId;
    }

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
        v1.stop(0);
        v2.stop(0);
    }

    @Test
    void theWalkthroughsManifestsBecomeANetworkAServiceWithCanaryRulesAndTargetsThenDeletionLeavesNothing() throws Exception {
        apply("gateway-lattice.yaml");
        apply("datastore.yaml");
        client.resource(SampleCluster.slice("datastore-v1-svc", "datastore-v1-svc-abcde", List.of("127.0.0.1"), v1.getAddress().getPort()))
                .create();
        client.resource(SampleCluster.slice("datastore-v2-svc", "datastore-v2-svc-fghij", List.of("127.0.0.1"), v2.getAddress().getPort()))
                .create();
        apply("route-datastore-canary.yaml");

        // GatewayClass and Gateway
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            GatewayClass gatewayClass = client.resources(GatewayClass.class).withName("amazon-vpc-lattice").get();
            assertThat(Conditions.isTrue(gatewayClass.getStatus().getConditions(), "Accepted")).isTrue();
            Gateway gateway = client.resources(Gateway.class).inNamespace("default").withName("eks-lattice-network").get();
            assertThat(gateway.getStatus()).isNotNull();
            assertThat(Conditions.isTrue(gateway.getStatus().getConditions(), "Programmed")).isTrue();
            assertThat(gateway.getStatus().getListeners()).singleElement().satisfies(l -> {
                assertThat(l.getAttachedRoutes()).isEqualTo(1);
                assertThat(l.getSupportedKinds()).extracting(k -> k.getKind()).containsExactly("HTTPRoute");
            });
            assertThat(gateway.getMetadata().getFinalizers()).contains(GatewayReconciler.FINALIZER);
        });
        var network = lattice.listServiceNetworks(r -> { }).items().stream()
                .filter(n -> n.name().equals("eks-lattice-network")).findFirst().orElseThrow();
        assertThat(lattice.listServiceNetworkVpcAssociations(r -> r.serviceNetworkIdentifier(network.id())).items())
                .extracting(a -> a.vpcId()).containsExactly(vpcId);

        // the route: status, annotations, and the Lattice service behind them
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            HTTPRoute route = client.resources(HTTPRoute.class).inNamespace("apps").withName("datastore").get();
            assertThat(route.getStatus().getParents()).singleElement().satisfies(p -> {
                assertThat(Conditions.find(p.getConditions(), "Accepted").getStatus()).isEqualTo("True");
                assertThat(Conditions.find(p.getConditions(), "ResolvedRefs").getStatus()).isEqualTo("True");
                assertThat(p.getControllerName()).isEqualTo(ControllerConfig.DEFAULT_CONTROLLER_NAME);
            });
            assertThat(route.getMetadata().getAnnotations())
                    .containsKey(HttpRouteReconciler.SERVICE_ARN_ANNOTATION)
                    .containsKey(HttpRouteReconciler.ASSIGNED_DOMAIN_ANNOTATION);
            assertThat(route.getMetadata().getFinalizers()).contains(HttpRouteReconciler.FINALIZER);
        });
        HTTPRoute route = client.resources(HTTPRoute.class).inNamespace("apps").withName("datastore").get();
        ServiceSummary service = service("datastore-apps");
        assertThat(route.getMetadata().getAnnotations()).containsEntry(HttpRouteReconciler.SERVICE_ARN_ANNOTATION, service.arn())
                .containsEntry(HttpRouteReconciler.ASSIGNED_DOMAIN_ANNOTATION, service.dnsEntry().domainName());
        assertThat(service.customDomainName()).isEqualTo("datastore.sarathy.io");
        assertThat(lattice.listServiceNetworkServiceAssociations(r -> r.serviceIdentifier(service.id())).items())
                .extracting(a -> a.serviceNetworkName()).containsExactly("eks-lattice-network");
        List<ListenerSummary> listeners = lattice.listListeners(r -> r.serviceIdentifier(service.id())).items();
        assertThat(listeners).singleElement().satisfies(l -> {
            assertThat(l.name()).isEqualTo("datastore-apps-80-http");
            assertThat(l.port()).isEqualTo(80);
            assertThat(l.protocolAsString()).isEqualTo("HTTP");
        });
        String listenerId = listeners.get(0).id();
        Map<String, String> groupIdsByService = targetGroups().stream().collect(Collectors.toMap(
                g -> g.name().contains("datastore-v1-svc") ? "v1" : "v2", TargetGroupSummary::id));
        assertThat(groupIdsByService).hasSize(2);
        List<RuleSummary> rules = lattice.listRules(r -> r.serviceIdentifier(service.id()).listenerIdentifier(listenerId))
                .items().stream().filter(r -> !r.isDefault()).toList();
        // each PathPrefix matches whole segments: exact /popular + prefix /popular/, then the same for /summary
        // (LatticeRules; equal prefix lengths keep rule order)
        assertThat(rules).extracting(RuleSummary::priority).containsExactlyInAnyOrder(1, 2, 3, 4);
        var popular = rule(service.id(), listenerId, rules, 1);
        assertThat(popular.match().httpMatch().pathMatch().match().exact()).isEqualTo("/popular");
        assertThat(rule(service.id(), listenerId, rules, 2).match().httpMatch().pathMatch().match().prefix())
                .isEqualTo("/popular/");
        assertThat(popular.action().forward().targetGroups()).singleElement().satisfies(t -> {
            assertThat(t.targetGroupIdentifier()).isEqualTo(groupIdsByService.get("v1"));
        });
        var summary = rule(service.id(), listenerId, rules, 4);
        assertThat(summary.match().httpMatch().pathMatch().match().prefix()).isEqualTo("/summary/");
        assertThat(rule(service.id(), listenerId, rules, 3).match().httpMatch().pathMatch().match().exact())
                .isEqualTo("/summary");
        assertThat(summary.action().forward().targetGroups())
                .extracting(t -> t.targetGroupIdentifier() + "=" + t.weight())
                .containsExactlyInAnyOrder(groupIdsByService.get("v1") + "=50", groupIdsByService.get("v2") + "=50");
        // the routes' port 3000 is the Services' targetPort (the port rule); targets carry the endpoints' ports
        assertThat(targets(groupIdsByService.get("v1"))).containsExactly("127.0.0.1:" + v1.getAddress().getPort());
        assertThat(targets(groupIdsByService.get("v2"))).containsExactly("127.0.0.1:" + v2.getAddress().getPort());

        // real requests through a Trellis gateway for the cluster VPC, as a client in that VPC sends them
        try (InProcessGateway gateway = new InProcessGateway(controlPlane, vpcId, dataDir.resolve("gateway"))) {
            await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> gateway.get("datastore.sarathy.io", "/popular").startsWith("200"));
            for (int i = 0; i < 20; i++) {
                assertThat(gateway.get("datastore.sarathy.io", "/popular")).isEqualTo("200 datastore v1 /popular");
            }
            Set<String> summaries = new java.util.HashSet<>();
            for (int i = 0; i < 60; i++) {
                summaries.add(gateway.get("datastore.sarathy.io", "/summary"));
            }
            assertThat(summaries).containsExactlyInAnyOrder("200 datastore v1 /summary", "200 datastore v2 /summary");
            assertThat(gateway.get("datastore.sarathy.io", "/other")).startsWith("404");
        }

        // an endpoint change: a new pod comes up, the old one terminates
        org.slf4j.LoggerFactory.getLogger(getClass()).info("test: endpoint change");
        client.resource(sliceWithTerminating("datastore-v2-svc", "datastore-v2-svc-fghij", "127.0.0.1", "127.0.0.2",
                v2.getAddress().getPort())).update();
        // the terminating pod is deregistered (Lattice lists it DRAINING for a while), the new one registered
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(targets(groupIdsByService.get("v2")))
                .containsExactly("127.0.0.2:" + v2.getAddress().getPort()));

        org.slf4j.LoggerFactory.getLogger(getClass()).info("test: deleting the route");
        // deleting the route removes its service, listeners, rules, association and target groups
        client.resources(HTTPRoute.class).inNamespace("apps").withName("datastore").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(client.resources(HTTPRoute.class).inNamespace("apps").withName("datastore").get()).isNull();
            assertThat(lattice.listServices(r -> { }).items()).isEmpty();
            assertThat(targetGroups()).isEmpty();
        });
        // and deleting the Gateway removes the network and the VPC association it made
        client.resources(Gateway.class).inNamespace("default").withName("eks-lattice-network").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(client.resources(Gateway.class).inNamespace("default").withName("eks-lattice-network").get()).isNull();
            assertThat(lattice.listServiceNetworks(r -> { }).items()).isEmpty();
        });
    }

    @Test
    void theTlsWalkthroughGivesAnHttpsListenerWithLatticesCertificateAndTheCustomDomainListenerAdmitsOnlyItsNamespace()
            throws Exception {
        apply("gateway-lattice-tls.yaml");
        apply("datastore.yaml");
        apply("route-datastore-canary-default-tls.yaml");

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            HTTPRoute route = client.resources(HTTPRoute.class).inNamespace("apps").withName("datastore").get();
            assertThat(Conditions.find(route.getStatus().getParents().get(0).getConditions(), "Accepted").getStatus())
                    .isEqualTo("True");
            assertThat(lattice.listListeners(r -> r.serviceIdentifier(service("datastore-apps").id())).items())
                    .singleElement().satisfies(l -> {
                        assertThat(l.name()).isEqualTo("datastore-apps-443-https");
                        assertThat(l.protocolAsString()).isEqualTo("HTTPS");
                        assertThat(l.port()).isEqualTo(443);
                    });
        });
        var service = lattice.getService(r -> r.serviceIdentifier(service("datastore-apps").id()));
        assertThat(service.certificateArn()).isNull();
        assertThat(service.customDomainName()).isNull();

        // tls-with-custom-domain has no allowedRoutes: Gateway API's default admits routes of the Gateway's own
        // namespace only, and the route lives in apps (docs/controller.md)
        try (InputStream in = Files.newInputStream(ReferenceFiles.resolve("seed/sample/route-datastore-canary-custom-tls.yaml"))) {
            HasMetadata custom = client.load(in).items().get(0);
            custom.getMetadata().setName("datastore-custom");
            client.resource(custom).create();
        }
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            HTTPRoute route = client.resources(HTTPRoute.class).inNamespace("apps").withName("datastore-custom").get();
            var accepted = Conditions.find(route.getStatus().getParents().get(0).getConditions(), "Accepted");
            assertThat(accepted.getStatus() + "/" + accepted.getReason()).isEqualTo("False/NotAllowedByListeners");
        });
    }

    private void apply(String file) throws IOException {
        SampleCluster.apply(client, file);
    }

    private static EndpointSlice sliceWithTerminating(String service, String name, String terminating, String fresh, int port) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withName(name).withNamespace("apps")
                .addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withPort(port).withProtocol("TCP").endPort()
                .addNewEndpoint().withAddresses(terminating)
                .withNewConditions().withReady(false).withServing(true).withTerminating(true).endConditions().endEndpoint()
                .addNewEndpoint().withAddresses(fresh).withNewConditions().withReady(true).endConditions().endEndpoint()
                .build();
    }

    private ServiceSummary service(String name) {
        return lattice.listServices(r -> { }).items().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    private List<TargetGroupSummary> targetGroups() {
        return lattice.listTargetGroups(r -> r.vpcIdentifier(vpcId)).items();
    }

    /** The group's targets that are not draining, as {@code ip:port}. */
    private Set<String> targets(String groupId) {
        return lattice.listTargets(r -> r.targetGroupIdentifier(groupId)).items().stream()
                .filter(t -> !"DRAINING".equals(t.statusAsString()))
                .map(t -> t.id() + ":" + t.port()).collect(Collectors.toSet());
    }

    private software.amazon.awssdk.services.vpclattice.model.GetRuleResponse rule(String serviceId, String listenerId,
            List<RuleSummary> rules, int priority) {
        String id = rules.stream().filter(r -> r.priority() == priority).findFirst().orElseThrow().id();
        return lattice.getRule(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listenerId).ruleIdentifier(id));
    }
}
