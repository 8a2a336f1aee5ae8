package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.controller.policy.IAMAuthPolicy;
import dev.trellis.controller.policy.TargetRef;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionConditionBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.TLSRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.TLSRouteBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CRDs installed while the controller runs: the controller started without the TLSRoute and policy CRDs picks up a
 * TLSRoute, and an IAMAuthPolicy, applied after their CRD was installed and became Established — the same
 * {@link TrellisController} object, its {@code /healthz} answering 200 all along (the operator is rebuilt in-process).
 * A CRD that exists but is not Established yet changes nothing until it is; a CRD deleted drops its kind again; with
 * leader election the rebuilt operator leads again without the stop being taken for a lost leadership.
 */
@EnableKubernetesMockClient(crud = true)
class LateCrdsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String HOST = "secure.example.com";

    static {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dataDir;

    private ControllerFixture fixture;

    /** The controller (with these extra settings) and a Gateway with a TLS Passthrough listener, programmed. */
    private void start(Map<String, String> env) throws Exception {
        fixture = new ControllerFixture(dataDir, client, env);
        client.resource(new GatewayClassBuilder().withNewMetadata().withName("amazon-vpc-lattice").endMetadata()
                .withNewSpec().withControllerName(ControllerConfig.DEFAULT_CONTROLLER_NAME).endSpec().build()).create();
        client.resource(new GatewayBuilder().withNewMetadata().withName("tls-network").withNamespace("apps").endMetadata()
                .withNewSpec().withGatewayClassName("amazon-vpc-lattice")
                .addNewListener().withName("tls").withProtocol("TLS").withPort(443).withNewTls().withMode("Passthrough")
                .endTls().endListener()
                .endSpec().build()).create();
        client.resource(new ServiceBuilder().withNewMetadata().withName("secure").withNamespace("apps").endMetadata()
                .withNewSpec().addNewPort().withPort(8443).withNewTargetPort(8443).endPort().endSpec().build()).create();
        client.resource(new EndpointSliceBuilder().withNewMetadata().withName("secure-abcde").withNamespace("apps")
                .withLabels(Map.of("kubernetes.io/service-name", "secure")).endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint().withAddresses(List.of("127.0.0.1")).withNewConditions().withReady(true).endConditions()
                .endEndpoint()
                .addNewPort().withPort(8443).withProtocol("TCP").endPort()
                .build()).create();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(fixture.lattice
                .listServiceNetworks(r -> { }).items()).extracting(n -> n.name()).containsExactly("tls-network"));
    }

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aTlsRouteCrdInstalledAfterStartIsWatchedWithoutARestart() throws Exception {
        start(Map.of());
        TrellisController controller = fixture.controller;
        assertThat(controller.watchedKinds()).doesNotContain(TLSRoute.class);
        List<Integer> healthz = new ArrayList<>();
        AtomicBoolean probing = new AtomicBoolean(true);
        Thread prober = probeHealthz(controller, healthz, probing);

        // installed, not Established yet: the API server would not serve it, so nothing changes
        CustomResourceDefinition crd = client.resource(tlsRouteCrd(false)).create();
        assertThat(crd.getStatus().getConditions()).extracting(c -> c.getStatus()).containsExactly("False");
        Thread.sleep(CrdWatch.QUIET.toMillis() + 2_000);
        assertThat(controller.watchedKinds()).doesNotContain(TLSRoute.class);

        client.resource(tlsRouteCrd(true)).updateStatus();
        applyTlsRouteAndAwaitIt();
        assertThat(controller.watchedKinds()).contains(TLSRoute.class);
        probing.set(false);
        prober.join();
        assertThat(healthz).isNotEmpty().containsOnly(200);
        // the same controller object, and the probes on the same port
        assertThat(fixture.controller).isSameAs(controller);

        // the CRD deleted: the kind is dropped again, and the controller is ready without it
        client.apiextensions().v1().customResourceDefinitions().withName("tlsroutes." + GatewayApiObjects.GROUP).delete();
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(controller.watchedKinds()).doesNotContain(TLSRoute.class);
            assertThat(get(controller, "/readyz")).isEqualTo(200);
        });
    }

    private static int get(TrellisController controller, String path) throws Exception {
        URI uri = URI.create("http://" + controller.probeAddress().getHostString() + ":"
                + controller.probeAddress().getPort() + path);
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    @Test
    void withLeaderElectionTheRebuiltOperatorLeadsAgainAndNoLeadershipIsLost() throws Exception {
        // JOSDK asks whether it may use Leases before it campaigns (the mock server does not evaluate RBAC)
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                .andReturn(201, new io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder()
                        .withNewStatus().addNewResourceRule().withApiGroups("coordination.k8s.io")
                        .withResources("leases").withVerbs("create", "update", "get").endResourceRule()
                        .withIncomplete(false).endStatus().build())
                .always();
        start(Map.of("LEADER_ELECT", "true", "LEADER_ELECTION_NAMESPACE", "kube-system"));
        await().atMost(TIMEOUT).until(fixture.controller::isLeading);

        client.resource(tlsRouteCrd(true)).create();
        applyTlsRouteAndAwaitIt();

        await().atMost(TIMEOUT).until(fixture.controller::isLeading);
        assertThat(get(fixture.controller, "/healthz")).isEqualTo(200);
        assertThat(fixture.metrics.scrape()).containsPattern("trellis_controller_leader 1(\\.0)?\n");
    }

    private void applyTlsRouteAndAwaitIt() {
        client.resource(new TLSRouteBuilder().withNewMetadata().withName("secure").withNamespace("apps").endMetadata()
                .withNewSpec().withHostnames(HOST)
                .addNewParentRef().withName("tls-network").withSectionName("tls").endParentRef()
                .addNewRule().addNewBackendRef().withName("secure").withPort(8443).endBackendRef().endRule()
                .endSpec().build()).create();

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            TLSRoute route = client.resources(TLSRoute.class).inNamespace("apps").withName("secure").get();
            Condition accepted = Conditions.find(route.getStatus().getParents().get(0).getConditions(), "Accepted");
            assertThat(accepted.getStatus()).isEqualTo("True");
            assertThat(route.getMetadata().getFinalizers()).containsExactly("tlsroute.k8s.aws/resources");
            var service = fixture.lattice.listServices(r -> { }).items().stream()
                    .filter(s -> s.name().equals("secure-apps")).findFirst().orElseThrow();
            assertThat(fixture.lattice.listListeners(r -> r.serviceIdentifier(service.id())).items())
                    .extracting(l -> l.protocolAsString()).containsExactly("TLS_PASSTHROUGH");
            // the Gateway's informers were rebuilt too: the route counts on its listener
            assertThat(client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway.class).inNamespace("apps")
                    .withName("tls-network").get().getStatus().getListeners().get(0).getAttachedRoutes()).isEqualTo(1);
        });
    }

    @Test
    void aPolicyCrdInstalledAfterStartIsWatchedWithoutARestart() throws Exception {
        start(Map.of());
        assertThat(fixture.controller.watchedKinds()).doesNotContain(IAMAuthPolicy.class);

        CustomResourceDefinition crd;
        try (InputStream in = Files.newInputStream(
                PolicyTestSupport.crds().resolve("iamauthpolicies.application-networking.k8s.aws.yaml"))) {
            crd = client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
        }
        crd.setStatus(established(true));
        client.resource(crd).create();
        IAMAuthPolicy policy = new IAMAuthPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName("network-auth").withNamespace("apps").build());
        IAMAuthPolicy.Spec spec = new IAMAuthPolicy.Spec();
        spec.setTargetRef(new TargetRef("gateway.networking.k8s.io", "Gateway", "tls-network"));
        spec.setPolicy("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                + "\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\"}]}");
        policy.setSpec(spec);
        client.resource(policy).create();

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            IAMAuthPolicy applied = client.resources(IAMAuthPolicy.class).inNamespace("apps").withName("network-auth")
                    .get();
            assertThat(PolicyTestSupport.conditionOf(applied.getStatus().getConditions()))
                    .startsWith("True", "Accepted");
            var network = fixture.lattice.listServiceNetworks(r -> { }).items().get(0);
            assertThat(fixture.lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier(network.id())).authTypeAsString())
                    .isEqualTo("AWS_IAM");
        });
        assertThat(fixture.controller.watchedKinds()).contains(IAMAuthPolicy.class);
    }

    /** TLSRoute v1alpha2 as Gateway API's experimental channel installs it, Established or not yet. */
    private static CustomResourceDefinition tlsRouteCrd(boolean established) {
        return new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName("tlsroutes." + GatewayApiObjects.GROUP).endMetadata()
                .withNewSpec().withGroup(GatewayApiObjects.GROUP).withScope("Namespaced")
                .withNewNames().withPlural("tlsroutes").withKind("TLSRoute").endNames()
                .addNewVersion().withName("v1alpha2").withServed(true).withStorage(true).endVersion()
                .endSpec()
                .withStatus(established(established))
                .build();
    }

    private static io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionStatus established(
            boolean established) {
        return new io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionStatusBuilder()
                .withConditions(new CustomResourceDefinitionConditionBuilder().withType("Established")
                        .withStatus(established ? "True" : "False").build())
                .build();
    }

    /** Polls /healthz every 100 ms, collecting the status codes (a failed connection counts as 0). */
    private static Thread probeHealthz(TrellisController controller, List<Integer> codes, AtomicBoolean probing) {
        URI uri = URI.create("http://" + controller.probeAddress().getHostString() + ":"
                + controller.probeAddress().getPort() + "/healthz");
        HttpClient http = HttpClient.newHttpClient();
        Thread thread = new Thread(() -> {
            while (probing.get()) {
                int code;
                try {
                    code = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (Exception e) {
                    code = 0;
                }
                synchronized (codes) {
                    codes.add(code);
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "healthz-prober");
        thread.start();
        return thread;
    }
}
