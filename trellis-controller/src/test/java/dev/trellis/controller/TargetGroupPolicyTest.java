package dev.trellis.controller;

import static dev.trellis.controller.PolicyTestSupport.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.controller.policy.TargetGroupPolicy;
import dev.trellis.controller.policy.TargetRef;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
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
import software.amazon.awssdk.services.vpclattice.model.GetTargetGroupResponse;

/**
 * TargetGroupPolicy through the Lattice API: a policy present when the route is applied shapes the Service's target
 * group at creation (protocol version, health check); one applied later changes the health check in place and names
 * the group whose protocol version it cannot change; deleting it puts Lattice's default health check back.
 */
@EnableKubernetesMockClient(crud = true)
class TargetGroupPolicyTest {

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
    }

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void policiesShapeNewGroupsChangeHealthChecksInPlaceAndReplaceGroupsWhoseProtocolChanges() throws Exception {
        TargetGroupPolicy.HealthCheck v2Check = new TargetGroupPolicy.HealthCheck();
        v2Check.setPath("/live");
        v2Check.setIntervalSeconds(15);
        v2Check.setStatusMatch("200-299");
        client.resource(policy("v2-settings", ref("Service", "datastore-v2-svc"), null, "HTTP2", v2Check)).create();
        SampleCluster.apply(client, "gateway-lattice.yaml");
        SampleCluster.apply(client, "datastore.yaml");
        client.resource(SampleCluster.slice("datastore-v1-svc", "v1-a", java.util.List.of("127.0.0.1"), 3001)).create();
        client.resource(SampleCluster.slice("datastore-v2-svc", "v2-a", java.util.List.of("127.0.0.1"), 3002)).create();
        SampleCluster.apply(client, "route-datastore-canary.yaml");

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(group("datastore-v1-svc")).isNotNull();
            assertThat(group("datastore-v2-svc")).isNotNull();
            assertThat(accepted("v2-settings")).startsWith("True", "Accepted");
        });
        GetTargetGroupResponse v2 = group("datastore-v2-svc");
        assertThat(v2.config().protocolVersionAsString()).isEqualTo("HTTP2");
        assertThat(v2.config().healthCheck().path()).isEqualTo("/live");
        assertThat(v2.config().healthCheck().healthCheckIntervalSeconds()).isEqualTo(15);
        assertThat(v2.config().healthCheck().matcher().httpCode()).isEqualTo("200-299");
        GetTargetGroupResponse v1 = group("datastore-v1-svc");
        assertThat(v1.config().protocolVersionAsString()).isEqualTo("HTTP1");
        assertThat(v1.config().healthCheck().path()).isEqualTo("/");

        // a policy on an existing group: the health check alone would change in place, but Lattice cannot change a
        // group's protocol version, so the route gets a new HTTP2 group (targets and rule moved) and the old one goes
        TargetGroupPolicy.HealthCheck v1Check = new TargetGroupPolicy.HealthCheck();
        v1Check.setPath("/health");
        v1Check.setIntervalSeconds(10);
        v1Check.setHealthyThresholdCount(3);
        client.resource(policy("v1-settings", ref("Service", "datastore-v1-svc"), "HTTP", "HTTP2", v1Check)).create();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(accepted("v1-settings")).startsWith("True", "Accepted");
            assertThat(groups("datastore-v1-svc")).hasSize(1);
            assertThat(group("datastore-v1-svc").id()).isNotEqualTo(v1.id());
            assertThat(group("datastore-v1-svc").config().healthCheck().path()).isEqualTo("/health");
        });
        GetTargetGroupResponse v1Replaced = group("datastore-v1-svc");
        assertThat(v1Replaced.config().protocolVersionAsString()).isEqualTo("HTTP2");
        assertThat(v1Replaced.config().healthCheck().healthCheckIntervalSeconds()).isEqualTo(10);
        assertThat(v1Replaced.config().healthCheck().healthyThresholdCount()).isEqualTo(3);
        assertThat(fixture.lattice.listTargets(r -> r.targetGroupIdentifier(v1Replaced.id())).items())
                .extracting(t -> t.id() + ":" + t.port()).containsExactly("127.0.0.1:3001");
        assertThat(ruleGroups()).contains(v1Replaced.id()).doesNotContain(v1.id());

        // out-of-range values are Invalid; a second policy for the Service is Conflicted and changes nothing. The oldest
        // policy wins, and creation times have whole seconds (a tie goes by name): the others are made a second later
        Thread.sleep(1_100);
        TargetGroupPolicy.HealthCheck tooFast = new TargetGroupPolicy.HealthCheck();
        tooFast.setIntervalSeconds(1);
        client.resource(policy("too-fast", ref("Service", "datastore-v1-svc"), null, null, tooFast)).create();
        client.resource(policy("tcp-with-version", ref("Service", "datastore-v2-svc"), "TCP", "HTTP1", null)).create();
        TargetGroupPolicy.HealthCheck other = new TargetGroupPolicy.HealthCheck();
        other.setPath("/other");
        client.resource(policy("v1-second", ref("Service", "datastore-v1-svc"), null, null, other)).create();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(accepted("too-fast")).containsExactly("False", "Invalid",
                    "healthCheck.intervalSeconds must be 5-300, got 1");
            assertThat(accepted("tcp-with-version").subList(0, 2)).containsExactly("False", "Invalid");
            assertThat(accepted("v1-second").subList(0, 2)).containsExactly("False", "Conflicted");
        });
        assertThat(group("datastore-v1-svc").config().healthCheck().path()).isEqualTo("/health");
        for (String name : List.of("too-fast", "tcp-with-version", "v1-second")) {
            client.resources(TargetGroupPolicy.class).inNamespace("apps").withName(name).delete();
        }

        // an edit that removes the health check puts Lattice's default back on the same group
        client.resources(TargetGroupPolicy.class).inNamespace("apps").withName("v1-settings")
                .edit(p -> { p.getSpec().setHealthCheck(null); return p; });
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            var check = group("datastore-v1-svc").config().healthCheck();
            assertThat(check.path()).isEqualTo("/");
            assertThat(check.healthCheckIntervalSeconds()).isEqualTo(30);
        });
        assertThat(group("datastore-v1-svc").id()).isEqualTo(v1Replaced.id());
        client.resources(TargetGroupPolicy.class).inNamespace("apps").withName("v1-settings")
                .edit(p -> { p.getSpec().setHealthCheck(v1Check); return p; });
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() ->
                assertThat(group("datastore-v1-svc").config().healthCheck().path()).isEqualTo("/health"));

        // deleting the policy puts Lattice's default health check back
        client.resources(TargetGroupPolicy.class).inNamespace("apps").withName("v1-settings").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            var check = group("datastore-v1-svc").config().healthCheck();
            assertThat(check.path()).isEqualTo("/");
            assertThat(check.healthCheckIntervalSeconds()).isEqualTo(30);
            assertThat(check.healthyThresholdCount()).isEqualTo(5);
        });
    }

    private List<String> groups(String service) {
        return fixture.lattice.listTargetGroups(r -> r.vpcIdentifier(fixture.vpcId)).items().stream()
                .filter(g -> g.name().startsWith("k8s-apps-" + service + "-")).map(g -> g.id()).toList();
    }

    /** The target groups the route's rules forward to (every listener of every service in the VPC's network). */
    private List<String> ruleGroups() {
        List<String> out = new java.util.ArrayList<>();
        for (var service : fixture.lattice.listServices(r -> { }).items()) {
            for (var listener : fixture.lattice.listListeners(r -> r.serviceIdentifier(service.id())).items()) {
                for (var rule : fixture.lattice.listRules(r -> r.serviceIdentifier(service.id())
                        .listenerIdentifier(listener.id())).items()) {
                    var full = fixture.lattice.getRule(r -> r.serviceIdentifier(service.id())
                            .listenerIdentifier(listener.id()).ruleIdentifier(rule.id()));
                    if (full.action() != null && full.action().forward() != null) {
                        full.action().forward().targetGroups().forEach(g -> out.add(g.targetGroupIdentifier()));
                    }
                }
            }
        }
        return out;
    }

    private GetTargetGroupResponse group(String service) {
        var summary = fixture.lattice.listTargetGroups(r -> r.vpcIdentifier(fixture.vpcId)).items().stream()
                .filter(g -> g.name().startsWith("k8s-apps-" + service + "-")).findFirst().orElse(null);
        return summary == null ? null : fixture.lattice.getTargetGroup(r -> r.targetGroupIdentifier(summary.id()));
    }

    private List<String> accepted(String name) {
        TargetGroupPolicy policy = client.resources(TargetGroupPolicy.class).inNamespace("apps").withName(name).get();
        return PolicyTestSupport.conditionOf(policy.getStatus().getConditions());
    }

    private static TargetGroupPolicy policy(String name, TargetRef ref, String protocol, String protocolVersion,
            TargetGroupPolicy.HealthCheck healthCheck) {
        TargetGroupPolicy policy = new TargetGroupPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("apps").build());
        TargetGroupPolicy.Spec spec = new TargetGroupPolicy.Spec();
        spec.setTargetRef(ref);
        spec.setProtocol(protocol);
        spec.setProtocolVersion(protocolVersion);
        spec.setHealthCheck(healthCheck);
        policy.setSpec(spec);
        return policy;
    }
}
