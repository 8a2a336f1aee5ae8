package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whose Gateway is it, whatever the order things are applied in: a Gateway applied before its GatewayClass is taken
 * over when the class arrives, without the Gateway being touched again; a Gateway of another controller's class never
 * gets our finalizer or status; a Gateway moved to another controller's class is handed over (released, finalizer
 * removed), and moved back, taken over again; a route applied before its Gateway and class is served once both exist.
 */
@EnableKubernetesMockClient(crud = true)
class GatewayOwnershipTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String OURS = "amazon-vpc-lattice";
    private static final String OTHER = "other-gateways";

    static {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dataDir;

    private ControllerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new ControllerFixture(dataDir, client, Map.of());
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void aGatewayAppliedBeforeItsClassIsTakenOverWhenTheClassArrives() throws Exception {
        client.resource(gateway("my-network", OURS)).create();
        String applied = gatewayNow("my-network").getMetadata().getResourceVersion();

        // no class yet: nobody knows whose it is, so nothing is written and nothing is made
        Thread.sleep(3_000);
        assertUntouched("my-network");
        assertThat(gatewayNow("my-network").getMetadata().getResourceVersion()).isEqualTo(applied);
        assertThat(fixture.lattice.listServiceNetworks(r -> { }).items()).isEmpty();

        client.resource(gatewayClass(OURS, ControllerConfig.DEFAULT_CONTROLLER_NAME)).create();

        awaitProgrammed("my-network");
        assertThat(gatewayNow("my-network").getMetadata().getFinalizers()).containsExactly(GatewayReconciler.FINALIZER);
        assertThat(fixture.lattice.listServiceNetworks(r -> { }).items()).extracting(n -> n.name())
                .containsExactly("my-network");

        // deletion still goes through our cleanup and ends
        client.resources(Gateway.class).inNamespace("apps").withName("my-network").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(gatewayNow("my-network")).isNull();
            assertThat(fixture.lattice.listServiceNetworks(r -> { }).items()).isEmpty();
        });
    }

    @Test
    void aGatewayOfAnotherControllersClassNeverGetsOurFinalizerOrStatus() throws Exception {
        client.resource(gatewayClass(OTHER, "example.com/other-controller")).create();
        client.resource(gateway("theirs", OTHER)).create();
        client.resource(gateway("classless", "no-such-class")).create();

        // events on both: a spec change, and a change of the other class
        Thread.sleep(1_000);
        client.resources(Gateway.class).inNamespace("apps").withName("theirs")
                .edit(g -> new GatewayBuilder(g).editSpec().editFirstListener().withPort(8080).endListener().endSpec()
                        .build());
        client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass.class).withName(OTHER)
                .edit(c -> new GatewayClassBuilder(c).editSpec().withDescription("changed").endSpec().build());
        Thread.sleep(3_000);

        assertUntouched("theirs");
        assertUntouched("classless");
        assertThat(fixture.lattice.listServiceNetworks(r -> { }).items()).isEmpty();

        // deleting them is not held up by us
        client.resources(Gateway.class).inNamespace("apps").withName("theirs").delete();
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(gatewayNow("theirs")).isNull());
    }

    @Test
    void aGatewayMovedToAnotherControllersClassIsHandedOverAndMovedBackIsTakenOverAgain() {
        client.resource(gatewayClass(OURS, ControllerConfig.DEFAULT_CONTROLLER_NAME)).create();
        client.resource(gatewayClass(OTHER, "example.com/other-controller")).create();
        client.resource(gateway("my-network", OURS)).create();
        awaitProgrammed("my-network");

        setClass("my-network", OTHER);

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(gatewayNow("my-network").getMetadata().getFinalizers()).isNullOrEmpty();
            // this cluster made the network and nothing else uses it: released as on deletion
            assertThat(fixture.lattice.listServiceNetworks(r -> { }).items()).isEmpty();
            assertThat(events("my-network")).extracting(Event::getReason).contains("HandedOver");
        });

        // the status the other controller would own is left to it; moved back, ours again (the network is made anew)
        setClass("my-network", OURS);

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(gatewayNow("my-network").getMetadata().getFinalizers())
                    .containsExactly(GatewayReconciler.FINALIZER);
            var networks = fixture.lattice.listServiceNetworks(r -> { }).items();
            assertThat(networks).hasSize(1);
            assertThat(Conditions.find(gatewayNow("my-network").getStatus().getConditions(), "Programmed").getMessage())
                    .contains(networks.get(0).arn());
        });
    }

    @Test
    void aRouteAppliedBeforeItsGatewayAndClassIsServedOnceBothExist() throws Exception {
        client.resource(new ServiceBuilder().withNewMetadata().withName("web").withNamespace("apps").endMetadata()
                .withNewSpec().addNewPort().withPort(8080).withNewTargetPort(8080).endPort().endSpec().build()).create();
        client.resource(new HTTPRouteBuilder().withNewMetadata().withName("web").withNamespace("apps").endMetadata()
                .withNewSpec()
                .addNewParentRef().withName("my-network").withSectionName("http").endParentRef()
                .addNewRule()
                .addNewMatch().withNewPath().withType("PathPrefix").withValue("/").endPath().endMatch()
                .addNewBackendRef().withName("web").withKind("Service").withPort(8080).endBackendRef()
                .endRule()
                .endSpec().build()).create();
        awaitRoute("web", "False", "NoMatchingParent");

        client.resource(gateway("my-network", OURS)).create();
        Thread.sleep(2_000);
        assertThat(fixture.lattice.listServices(r -> { }).items()).isEmpty();

        client.resource(gatewayClass(OURS, ControllerConfig.DEFAULT_CONTROLLER_NAME)).create();

        awaitProgrammed("my-network");
        awaitRoute("web", "True", "Accepted");
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(fixture.lattice.listServices(r -> { }).items()).extracting(s -> s.name())
                    .containsExactly("web-apps");
            assertThat(gatewayNow("my-network").getStatus().getListeners().get(0).getAttachedRoutes()).isEqualTo(1);
        });
    }

    private static Gateway gateway(String name, String className) {
        return new GatewayBuilder().withNewMetadata().withName(name).withNamespace("apps").endMetadata()
                .withNewSpec().withGatewayClassName(className)
                .addNewListener().withName("http").withProtocol("HTTP").withPort(80).endListener().endSpec().build();
    }

    private static io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass gatewayClass(String name,
            String controllerName) {
        return new GatewayClassBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withControllerName(controllerName).endSpec().build();
    }

    private Gateway gatewayNow(String name) {
        return client.resources(Gateway.class).inNamespace("apps").withName(name).get();
    }

    private void setClass(String gateway, String className) {
        client.resources(Gateway.class).inNamespace("apps").withName(gateway)
                .edit(g -> new GatewayBuilder(g).editSpec().withGatewayClassName(className).endSpec().build());
    }

    private void assertUntouched(String name) {
        Gateway gateway = gatewayNow(name);
        assertThat(gateway.getMetadata().getFinalizers()).as("finalizers of %s", name).isNullOrEmpty();
        assertThat(gateway.getStatus() == null || gateway.getStatus().getConditions() == null
                || gateway.getStatus().getConditions().isEmpty()).as("no status on %s", name).isTrue();
        assertThat(events(name)).as("events about %s", name).isEmpty();
    }

    private java.util.List<Event> events(String gateway) {
        return client.v1().events().inNamespace("apps").list().getItems().stream()
                .filter(e -> gateway.equals(e.getInvolvedObject().getName())
                        && "Gateway".equals(e.getInvolvedObject().getKind()))
                .toList();
    }

    private void awaitProgrammed(String name) {
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            var conditions = gatewayNow(name).getStatus().getConditions();
            assertThat(Conditions.find(conditions, "Accepted").getStatus()).isEqualTo("True");
            Condition programmed = Conditions.find(conditions, "Programmed");
            assertThat(programmed.getStatus() + "/" + programmed.getReason()).isEqualTo("True/Programmed");
        });
    }

    private void awaitRoute(String route, String status, String reason) {
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            HTTPRoute r = client.resources(HTTPRoute.class).inNamespace("apps").withName(route).get();
            Condition accepted = Conditions.find(r.getStatus().getParents().get(0).getConditions(), "Accepted");
            assertThat(accepted.getStatus() + "/" + accepted.getReason()).isEqualTo(status + "/" + reason);
        });
    }
}
