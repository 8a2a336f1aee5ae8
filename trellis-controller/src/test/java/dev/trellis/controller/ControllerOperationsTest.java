package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;

/**
 * What an operator of the controller relies on besides the Lattice translation: Kubernetes Events on condition changes
 * (and only on changes), Prometheus metrics of reconciliations and Lattice calls, the periodic resync repairing drift
 * made in Lattice, and leader election between two replicas (only the leader acts; the other takes over).
 */
@EnableKubernetesMockClient(crud = true)
class ControllerOperationsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    static {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dataDir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void conditionChangesBecomeEventsOnceAndMetricsCountReconciliationsAndLatticeCalls() throws Exception {
        try (ControllerFixture fixture = new ControllerFixture(dataDir, client, Map.of())) {
            applyClassAndGateway();
            client.resource(route("broken", "no-such-service")).create();

            await().atMost(TIMEOUT).untilAsserted(() -> {
                assertThat(events("apps", "broken")).extracting(Event::getType, Event::getReason)
                        .contains(org.assertj.core.groups.Tuple.tuple("Warning", "BackendNotFound"),
                                org.assertj.core.groups.Tuple.tuple("Normal", "Accepted"));
                assertThat(events("apps", "my-network")).extracting(Event::getType, Event::getReason)
                        .contains(org.assertj.core.groups.Tuple.tuple("Normal", "Programmed"));
            });
            Event backendNotFound = events("apps", "broken").stream()
                    .filter(e -> "BackendNotFound".equals(e.getReason())).findFirst().orElseThrow();
            assertThat(backendNotFound.getMessage())
                    .isEqualTo("ResolvedRefs=False (parent my-network/http): Service apps/no-such-service not found");
            assertThat(backendNotFound.getInvolvedObject().getKind()).isEqualTo("HTTPRoute");
            assertThat(backendNotFound.getSource().getComponent()).isEqualTo("trellis-controller");

            // a spec change reconciles again with the same verdict: no new event
            int before = events("apps", "broken").size();
            // the controller may patch the status between our read and write (409): try again, as kubectl edit would
            await().atMost(TIMEOUT).ignoreExceptions().until(() -> client.resources(HTTPRoute.class).inNamespace("apps")
                    .withName("broken").edit(r -> {
                        r.getSpec().getRules().get(0).getMatches().get(0).getPath().setValue("/v2");
                        return r;
                    }) != null);
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(client.resources(HTTPRoute.class).inNamespace("apps")
                    .withName("broken").get().getStatus().getParents().get(0).getConditions())
                    .allMatch(c -> c.getObservedGeneration() == 2L));
            assertThat(events("apps", "broken")).hasSize(before);

            String metrics = get(URI.create("http://127.0.0.1:" + fixture.controller.metricsAddress().getPort()
                    + "/metrics")).body();
            assertThat(metrics)
                    .containsPattern("trellis_controller_lattice_requests_seconds_count\\{operation=\"CreateServiceNetwork\","
                            + "outcome=\"success\"} 1(\\.0)?\n")
                    .containsPattern("trellis_controller_lattice_requests_seconds_count\\{operation=\"CreateService\","
                            + "outcome=\"success\"} 1(\\.0)?\n")
                    .containsPattern("trellis_controller_leader 1(\\.0)?\n")
                    .containsPattern("operator_sdk_reconciliations_success_total\\{[^}]*kind=\"HTTPRoute\"[^}]*\\} [1-9]");

            // a refused call is counted under Lattice's error code
            assertThatThrownBy(() -> fixture.lattice.getService(r -> r.serviceIdentifier("svc-0123456789abcdef0")))
                    .isInstanceOf(ResourceNotFoundException.class);
            assertThat(get(URI.create("http://127.0.0.1:" + fixture.controller.metricsAddress().getPort() + "/metrics"))
                    .body()).containsPattern("trellis_controller_lattice_requests_seconds_count\\{operation=\"GetService\","
                            + "outcome=\"ResourceNotFoundException\"} 1(\\.0)?\n");
        }
    }

    @Test
    void theResyncRepairsALatticeChangeMadeOutsideTheCluster() throws Exception {
        try (ControllerFixture fixture = new ControllerFixture(dataDir, client, Map.of(),
                config -> config.withResync(Duration.ofSeconds(2)))) {
            applyClassAndGateway();
            client.resource(route("drifting", "no-such-service")).create();
            var service = await().atMost(TIMEOUT).ignoreExceptions().until(() -> fixture.lattice.listServices(r -> { })
                    .items().stream().filter(s -> s.name().equals("drifting-apps")).findFirst().orElseThrow(), s -> true);
            var listener = await().atMost(TIMEOUT).until(() -> fixture.lattice.listListeners(r -> r.serviceIdentifier(
                    service.id())).items(), l -> !l.isEmpty()).get(0);

            // someone deletes the listener with the console or the CLI; nothing changes in Kubernetes
            fixture.lattice.deleteListener(r -> r.serviceIdentifier(service.id()).listenerIdentifier(listener.id()));
            assertThat(fixture.lattice.listListeners(r -> r.serviceIdentifier(service.id())).items()).isEmpty();

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(fixture.lattice.listListeners(
                    r -> r.serviceIdentifier(service.id())).items()).extracting(l -> l.name())
                    .containsExactly(listener.name()));
        }
    }

    @Test
    void withLeaderElectionOnlyTheLeaderActsAndTheOtherReplicaTakesOver() throws Exception {
        Map<String, String> election = Map.of("LEADER_ELECT", "true", "LEADER_ELECTION_NAMESPACE", "kube-system");
        // JOSDK asks the API server whether it may use Leases before it campaigns; the mock server's CRUD mode does not
        // evaluate RBAC, so it answers as a real one does for a service account bound to the deploy/ ClusterRole
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                .andReturn(201, new SelfSubjectRulesReviewBuilder().withNewStatus().addNewResourceRule()
                        .withApiGroups("coordination.k8s.io").withResources("leases")
                        .withVerbs("create", "update", "get").endResourceRule().withIncomplete(false).endStatus().build())
                .always();
        // two replicas, each with a Lattice of its own, so which one acted is visible
        ControllerFixture first = new ControllerFixture(dataDir.resolve("first"), client, election);
        ControllerFixture second = null;
        try {
            await().atMost(TIMEOUT).until(first.controller::isLeading);
            second = new ControllerFixture(dataDir.resolve("second"), client, election);
            ControllerFixture follower = second;
            applyClassAndGateway();

            await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(Conditions.isTrue(client.resources(Gateway.class)
                    .inNamespace("apps").withName("my-network").get().getStatus().getConditions(), "Programmed")).isTrue());
            assertThat(first.lattice.listServiceNetworks(r -> { }).items()).extracting(n -> n.name())
                    .containsExactly("my-network");
            assertThat(follower.controller.isLeading()).isFalse();
            assertThat(follower.lattice.listServiceNetworks(r -> { }).items()).isEmpty();
            assertThat(lease().getSpec().getHolderIdentity()).isEqualTo(first.controller.leaderIdentity());
            assertThat(get(URI.create("http://127.0.0.1:" + follower.controller.probeAddress().getPort() + "/readyz"))
                    .statusCode()).isEqualTo(200);
            assertThat(get(URI.create("http://127.0.0.1:" + follower.controller.metricsAddress().getPort() + "/metrics"))
                    .body()).containsPattern("trellis_controller_leader 0(\\.0)?\n");

            first.close();
            first = null;

            // the follower takes the Lease and reconciles the same Gateway against its own Lattice
            await().atMost(TIMEOUT).untilAsserted(() -> {
                assertThat(follower.controller.isLeading()).isTrue();
                assertThat(follower.lattice.listServiceNetworks(r -> { }).items()).extracting(n -> n.name())
                        .containsExactly("my-network");
            });
            assertThat(lease().getSpec().getHolderIdentity()).isEqualTo(follower.controller.leaderIdentity());
        } finally {
            if (first != null) {
                first.close();
            }
            if (second != null) {
                second.close();
            }
        }
    }

    private Lease lease() {
        return client.resources(Lease.class).inNamespace("kube-system").withName(TrellisController.LEASE_NAME).get();
    }

    private void applyClassAndGateway() {
        client.resource(new GatewayClassBuilder().withNewMetadata().withName("amazon-vpc-lattice").endMetadata()
                .withNewSpec().withControllerName(ControllerConfig.DEFAULT_CONTROLLER_NAME).endSpec().build()).create();
        client.resource(new GatewayBuilder().withNewMetadata().withName("my-network").withNamespace("apps").endMetadata()
                .withNewSpec().withGatewayClassName("amazon-vpc-lattice")
                .addNewListener().withName("http").withProtocol("HTTP").withPort(80).endListener().endSpec().build()).create();
    }

    private static HTTPRoute route(String name, String backend) {
        return new HTTPRouteBuilder().withNewMetadata().withName(name).withNamespace("apps").endMetadata()
                .withNewSpec()
                .addNewParentRef().withName("my-network").withSectionName("http").endParentRef()
                .addNewRule()
                .addNewMatch().withNewPath().withType("PathPrefix").withValue("/").endPath().endMatch()
                .addNewBackendRef().withName(backend).withKind("Service").withPort(8080).endBackendRef()
                .endRule()
                .endSpec().build();
    }

    private List<Event> events(String namespace, String involvedName) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> involvedName.equals(e.getInvolvedObject().getName())).toList();
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }
}
