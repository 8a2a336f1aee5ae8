package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.controller.policy.TargetGroupPolicy;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.vpclattice.model.GetRuleResponse;
import software.amazon.awssdk.services.vpclattice.model.GetTargetGroupResponse;

/**
 * A Service port's {@code appProtocol} and the target group it becomes (docs/controller.md "Backend protocols"), through
 * fabric8's mock API server and the real control plane: {@code kubernetes.io/h2c} → HTTP/HTTP2; a changed appProtocol
 * replaces the group (Lattice cannot change a protocol version) and the old one is deleted; {@code kubernetes.io/ws}
 * → {@code ResolvedRefs=False}, {@code UnsupportedProtocol}, the rule answers 500 and no group is left; a
 * TargetGroupPolicy's protocol version wins over the appProtocol.
 */
@EnableKubernetesMockClient(crud = true)
class AppProtocolControllerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

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
        PolicyTestSupport.installCrds(client);
        fixture = new ControllerFixture(dataDir, client, Map.of());
        client.resource(new GatewayClassBuilder().withNewMetadata().withName("amazon-vpc-lattice").endMetadata()
                .withNewSpec().withControllerName(ControllerConfig.DEFAULT_CONTROLLER_NAME).endSpec().build()).create();
        client.resource(new GatewayBuilder().withNewMetadata().withName("my-network").withNamespace("apps").endMetadata()
                .withNewSpec().withGatewayClassName("amazon-vpc-lattice")
                .addNewListener().withName("http").withProtocol("HTTP").withPort(80).endListener().endSpec().build()).create();
        client.resource(new EndpointSliceBuilder().withNewMetadata().withName("grpc-web-abcde").withNamespace("apps")
                .withLabels(Map.of("kubernetes.io/service-name", "grpc-web")).endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint().withAddresses(List.of("10.0.1.5")).withNewConditions().withReady(true).endConditions()
                .endEndpoint()
                .addNewPort().withName("web").withPort(8080).withProtocol("TCP").endPort()
                .build()).create();
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void anH2cPortIsAnHttp2GroupAChangedAppProtocolReplacesItAndAWebSocketPortIsUnsupportedProtocol() {
        client.resource(service("kubernetes.io/h2c")).create();
        client.resource(new HTTPRouteBuilder().withNewMetadata().withName("web").withNamespace("apps").endMetadata()
                .withNewSpec().addNewParentRef().withName("my-network").endParentRef()
                .addNewRule().addNewBackendRef().withName("grpc-web").withPort(80).endBackendRef().endRule()
                .endSpec().build()).create();

        GetTargetGroupResponse h2c = await().atMost(TIMEOUT).ignoreExceptions().until(() -> onlyGroup("HTTP2"),
                g -> g != null);
        assertThat(h2c.config().protocolAsString()).isEqualTo("HTTP");
        // Lattice's default for HTTP2 groups: no health check (an h2c-only target would not answer HTTP/1.1 probes)
        assertThat(h2c.config().healthCheck().enabled()).isFalse();
        assertThat(fixture.lattice.listTagsForResource(r -> r.resourceArn(h2c.arn())).tags())
                .containsEntry(LatticeTags.PROTOCOL_VERSION, "HTTP2");
        assertThat(fixture.lattice.listTargets(r -> r.targetGroupIdentifier(h2c.id())).items())
                .extracting(t -> t.id() + ":" + t.port()).containsExactly("10.0.1.5:8080");
        // the group is made before the listener and its rule: wait for the rule
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(forwardedGroup()).isEqualTo(h2c.id()));

        // no appProtocol any more: a new HTTP1 group takes the rule, the HTTP2 one is deleted
        client.services().inNamespace("apps").withName("grpc-web").edit(s -> {
            s.getSpec().getPorts().get(0).setAppProtocol(null);
            return s;
        });
        GetTargetGroupResponse plain = await().atMost(TIMEOUT).ignoreExceptions().until(() -> onlyGroup("HTTP1"),
                g -> g != null);
        assertThat(plain.id()).isNotEqualTo(h2c.id());
        assertThat(plain.name()).isNotEqualTo(h2c.name());
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(forwardedGroup()).isEqualTo(plain.id()));
        assertThat(fixture.lattice.listTargets(r -> r.targetGroupIdentifier(plain.id())).items())
                .extracting(t -> t.id() + ":" + t.port()).containsExactly("10.0.1.5:8080");

        // a WebSocket port: Lattice cannot carry it, the spec's UnsupportedProtocol, a 500 rule, no group
        client.services().inNamespace("apps").withName("grpc-web").edit(s -> {
            s.getSpec().getPorts().get(0).setAppProtocol("kubernetes.io/ws");
            return s;
        });
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            HTTPRoute route = client.resources(HTTPRoute.class).inNamespace("apps").withName("web").get();
            Condition resolved = Conditions.find(route.getStatus().getParents().get(0).getConditions(), "ResolvedRefs");
            assertThat(resolved.getStatus() + "/" + resolved.getReason()).isEqualTo("False/UnsupportedProtocol");
            assertThat(resolved.getMessage()).startsWith("Service apps/grpc-web port 80 has appProtocol kubernetes.io/ws:"
                    + " VPC Lattice does not support WebSockets");
            Condition accepted = Conditions.find(route.getStatus().getParents().get(0).getConditions(), "Accepted");
            assertThat(accepted.getStatus()).isEqualTo("True");
            assertThat(rule().action().fixedResponse().statusCode()).isEqualTo(500);
            assertThat(fixture.lattice.listTargetGroups(r -> { }).items()).isEmpty();
        });
    }

    @Test
    void aTargetGroupPolicyProtocolVersionWinsOverTheAppProtocol() {
        TargetGroupPolicy policy = new TargetGroupPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName("keep-http1").withNamespace("apps").build());
        TargetGroupPolicy.Spec spec = new TargetGroupPolicy.Spec();
        spec.setTargetRef(PolicyTestSupport.ref("Service", "grpc-web"));
        spec.setProtocolVersion("HTTP1");
        policy.setSpec(spec);
        client.resource(policy).create();
        client.resource(service("kubernetes.io/h2c")).create();
        client.resource(new HTTPRouteBuilder().withNewMetadata().withName("web").withNamespace("apps").endMetadata()
                .withNewSpec().addNewParentRef().withName("my-network").endParentRef()
                .addNewRule().addNewBackendRef().withName("grpc-web").withPort(80).endBackendRef().endRule()
                .endSpec().build()).create();

        GetTargetGroupResponse group = await().atMost(TIMEOUT).ignoreExceptions().until(() -> {
            var groups = fixture.lattice.listTargetGroups(r -> { }).items();
            return groups.size() == 1 ? fixture.lattice.getTargetGroup(r -> r.targetGroupIdentifier(groups.get(0).id()))
                    : null;
        }, g -> g != null);
        assertThat(group.config().protocolAsString() + "/" + group.config().protocolVersionAsString())
                .isEqualTo("HTTP/HTTP1");
    }

    private static Service service(String appProtocol) {
        return new ServiceBuilder().withNewMetadata().withName("grpc-web").withNamespace("apps").endMetadata()
                .withNewSpec().addNewPort().withName("web").withPort(80).withNewTargetPort(8080)
                .withAppProtocol(appProtocol).endPort().endSpec().build();
    }

    /** The one target group, if it has this protocol version; else null (still converging). */
    private GetTargetGroupResponse onlyGroup(String protocolVersion) {
        var groups = fixture.lattice.listTargetGroups(r -> { }).items();
        if (groups.size() != 1) {
            return null;
        }
        var got = fixture.lattice.getTargetGroup(r -> r.targetGroupIdentifier(groups.get(0).id()));
        return protocolVersion.equals(got.config().protocolVersionAsString()) ? got : null;
    }

    private String forwardedGroup() {
        return rule().action().forward().targetGroups().get(0).targetGroupIdentifier();
    }

    private GetRuleResponse rule() {
        var service = fixture.lattice.listServices(r -> { }).items().stream().filter(s -> s.name().equals("web-apps"))
                .findFirst().orElseThrow();
        var listener = fixture.lattice.listListeners(r -> r.serviceIdentifier(service.id())).items().get(0);
        var summary = fixture.lattice.listRules(r -> r.serviceIdentifier(service.id()).listenerIdentifier(listener.id()))
                .items().stream().filter(r -> !Boolean.TRUE.equals(r.isDefault())).findFirst().orElseThrow();
        return fixture.lattice.getRule(r -> r.serviceIdentifier(service.id()).listenerIdentifier(listener.id())
                .ruleIdentifier(summary.id()));
    }
}
