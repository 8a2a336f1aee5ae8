package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Route status as the Gateway API and the AWS controller define it, with v1 objects: a name collision with a service
 * the controller does not own, a backend that does not exist, a parentRef naming no listener; and the probes.
 */
@EnableKubernetesMockClient(crud = true)
class RouteStatusTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    static {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    // instance fields: a fresh API server for every test
    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dataDir;

    private ControllerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new ControllerFixture(dataDir, client, Map.of());
        client.resource(new GatewayClassBuilder().withNewMetadata().withName("amazon-vpc-lattice").endMetadata()
                .withNewSpec().withControllerName(ControllerConfig.DEFAULT_CONTROLLER_NAME).endSpec().build()).create();
        client.resource(new GatewayBuilder().withNewMetadata().withName("my-network").withNamespace("apps").endMetadata()
                .withNewSpec().withGatewayClassName("amazon-vpc-lattice")
                .addNewListener().withName("http").withProtocol("HTTP").withPort(80).endListener().endSpec().build()).create();
        client.resource(new ServiceBuilder().withNewMetadata().withName("web").withNamespace("apps").endMetadata()
                .withNewSpec().addNewPort().withPort(8080).withNewTargetPort(8080).endPort().endSpec().build()).create();
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void aServiceOfTheSameNameThatIsNotOursIsConflictedAndLeftUntouched() {
        var foreign = fixture.lattice.createService(r -> r.name("web-apps"));

        client.resource(route("web", "http", "web")).create();

        awaitCondition("web", "Accepted", "False", "Conflicted");
        assertThat(condition("web", "Accepted").getMessage())
                .contains("VPC Lattice service web-apps already exists")
                .contains(LatticeNames.SERVICE_NAME_OVERRIDE);
        assertThat(fixture.lattice.listListeners(r -> r.serviceIdentifier(foreign.id())).items()).isEmpty();
        assertThat(fixture.lattice.listTagsForResource(r -> r.resourceArn(foreign.arn())).tags()).isEmpty();

        // the override annotation is the way out
        client.resources(HTTPRoute.class).inNamespace("apps").withName("web").edit(r -> {
            r.getMetadata().setAnnotations(Map.of(LatticeNames.SERVICE_NAME_OVERRIDE, "web-apps-cluster-a"));
            r.getSpec().setHostnames(List.of("web.example.com")); // a spec change, so the generation moves
            return r;
        });
        awaitCondition("web", "Accepted", "True", "Accepted");
        assertThat(fixture.lattice.listServices(r -> { }).items()).extracting(s -> s.name())
                .containsExactlyInAnyOrder("web-apps", "web-apps-cluster-a");
    }

    @Test
    void aMissingBackendIsBackendNotFoundAndItsRuleAnswers500() {
        client.resource(route("broken", "http", "no-such-service")).create();

        awaitCondition("broken", "ResolvedRefs", "False", "BackendNotFound");
        awaitCondition("broken", "Accepted", "True", "Accepted");
        assertThat(condition("broken", "ResolvedRefs").getMessage()).isEqualTo("Service apps/no-such-service not found");
        var service = fixture.lattice.listServices(r -> { }).items().stream()
                .filter(s -> s.name().equals("broken-apps")).findFirst().orElseThrow();
        var listener = fixture.lattice.listListeners(r -> r.serviceIdentifier(service.id())).items().get(0);
        var rule = fixture.lattice.listRules(r -> r.serviceIdentifier(service.id()).listenerIdentifier(listener.id()))
                .items().stream().filter(r -> !r.isDefault()).findFirst().orElseThrow();
        var got = fixture.lattice.getRule(r -> r.serviceIdentifier(service.id()).listenerIdentifier(listener.id())
                .ruleIdentifier(rule.id()));
        assertThat(got.action().fixedResponse().statusCode()).isEqualTo(500);
    }

    @Test
    void aSectionNameNamingNoListenerIsNoMatchingParentAndCreatesNothing() throws Exception {
        client.resource(route("lost", "https", "web")).create();

        awaitCondition("lost", "Accepted", "False", "NoMatchingParent");
        assertThat(fixture.lattice.listServices(r -> { }).items()).extracting(s -> s.name()).doesNotContain("lost-apps");
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            Gateway gateway = client.resources(Gateway.class).inNamespace("apps").withName("my-network").get();
            assertThat(Conditions.isTrue(gateway.getStatus().getConditions(), "Programmed")).isTrue();
            assertThat(gateway.getStatus().getListeners().get(0).getAttachedRoutes()).isZero();
            assertThat(Conditions.isTrue(client.resources(GatewayClass.class).withName("amazon-vpc-lattice").get()
                    .getStatus().getConditions(), "Accepted")).isTrue();
        });

        URI probes = URI.create("http://127.0.0.1:" + fixture.controller.probeAddress().getPort());
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> healthz = http.send(HttpRequest.newBuilder(probes.resolve("/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> readyz = http.send(HttpRequest.newBuilder(probes.resolve("/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(healthz.statusCode()).isEqualTo(200);
        assertThat(readyz.statusCode()).isEqualTo(200);
    }

    @Test
    void deletingTheGatewayBeforeItsRouteStillLeavesNothingInLattice() {
        client.resource(route("web", "http", "web")).create();
        awaitCondition("web", "Accepted", "True", "Accepted");

        client.resources(Gateway.class).inNamespace("apps").withName("my-network").delete();

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(client.resources(Gateway.class).inNamespace("apps").withName("my-network").get()).isNull();
            assertThat(condition("web", "Accepted").getReason()).isEqualTo("NoMatchingParent");
            assertThat(fixture.lattice.listServices(r -> { }).items()).isEmpty();
            assertThat(fixture.lattice.listTargetGroups(r -> { }).items()).isEmpty();
            assertThat(fixture.lattice.listServiceNetworks(r -> { }).items()).isEmpty();
        });
    }

    private static HTTPRoute route(String name, String sectionName, String backend) {
        return new HTTPRouteBuilder().withNewMetadata().withName(name).withNamespace("apps").endMetadata()
                .withNewSpec()
                .addNewParentRef().withName("my-network").withSectionName(sectionName).endParentRef()
                .addNewRule()
                .addNewMatch().withNewPath().withType("PathPrefix").withValue("/").endPath().endMatch()
                .addNewBackendRef().withName(backend).withKind("Service").withPort(8080).endBackendRef()
                .endRule()
                .endSpec().build();
    }

    private void awaitCondition(String route, String type, String status, String reason) {
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            Condition condition = condition(route, type);
            assertThat(condition.getStatus() + "/" + condition.getReason()).isEqualTo(status + "/" + reason);
        });
    }

    private Condition condition(String route, String type) {
        HTTPRoute r = client.resources(HTTPRoute.class).inNamespace("apps").withName(route).get();
        return Conditions.find(r.getStatus().getParents().get(0).getConditions(), type);
    }
}
