package dev.trellis.controller;

import static dev.trellis.controller.PolicyTestSupport.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.trellis.controller.policy.AccessLogPolicy;
import dev.trellis.controller.policy.IAMAuthPolicy;
import dev.trellis.controller.policy.PolicyStatus;
import dev.trellis.controller.policy.TargetGroupPolicy;
import dev.trellis.controller.policy.TargetedSpec;
import dev.trellis.controller.policy.VpcAssociationPolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.vpclattice.model.AccessLogSubscriptionSummary;
import software.amazon.awssdk.services.vpclattice.model.AuthType;
import software.amazon.awssdk.services.vpclattice.model.GetTargetGroupResponse;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;

/**
 * A policy whose {@code spec.targetRef} is edited moves: for every policy kind, the former target returns to its state
 * without the policy and the new one gets it — while the controller runs, and when the edit happens while it is stopped
 * and a new controller instance (nothing in memory) picks the policy up. Also: a former target that no longer exists
 * does not keep the policy from moving. The walkthrough's cluster plus a second route ({@code inventory}, to
 * datastore-v2), with real requests through an in-process gateway for the IAMAuthPolicy; for the VpcAssociationPolicy
 * two Gateways whose networks exist in Lattice.
 */
@EnableKubernetesMockClient(crud = true)
class PolicyTargetChangeTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    /** Admits only signed calls of this account: an unsigned request is refused with 403. */
    private static final String SIGNED_ONLY = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},\"Action\":\"vpc-lattice-svcs:Invoke\","
            + "\"Resource\":\"*\"}]}";
    private static final String BUCKET = "arn:aws:s3:::moving-access-logs";
    private static final String GROUP = "sg-0a1b2c3d4e5f60718";

    static {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dataDir;

    private ControllerFixture fixture;
    private InProcessGateway gateway;
    private TrellisController restarted;
    private HttpServer v1;
    private HttpServer v2;

    @BeforeEach
    void start() throws Exception {
        v1 = SampleCluster.datastore("v1");
        v2 = SampleCluster.datastore("v2");
        PolicyTestSupport.installCrds(client);
    }

    /**
     * The walkthrough's cluster (the controller creating the Gateway's network) plus a second route, {@code inventory},
     * to datastore-v2; both answering through the in-process gateway.
     */
    private void walkthroughWithTwoRoutes() throws Exception {
        fixture = new ControllerFixture(dataDir, client, Map.of());
        gateway = new InProcessGateway(fixture.controlPlane, fixture.vpcId, dataDir.resolve("gateway"));
        SampleCluster.apply(client, "gateway-lattice.yaml");
        SampleCluster.apply(client, "datastore.yaml");
        client.resource(SampleCluster.slice("datastore-v1-svc", "v1-a", List.of("127.0.0.1"), v1.getAddress().getPort()))
                .create();
        client.resource(SampleCluster.slice("datastore-v2-svc", "v2-a", List.of("127.0.0.1"), v2.getAddress().getPort()))
                .create();
        SampleCluster.apply(client, "route-datastore-canary.yaml");
        load("""
                apiVersion: gateway.networking.k8s.io/v1beta1
                kind: HTTPRoute
                metadata: {name: inventory, namespace: apps}
                spec:
                  hostnames: [inventory.sarathy.io]
                  parentRefs: [{name: eks-lattice-network, namespace: default, sectionName: http}]
                  rules:
                  - backendRefs: [{name: datastore-v2-svc, kind: Service, port: 3000}]
                """);
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(gateway.get("datastore.sarathy.io", "/popular")).isEqualTo("200 datastore v1 /popular");
            assertThat(gateway.get("inventory.sarathy.io", "/popular")).isEqualTo("200 datastore v2 /popular");
            assertThat(serviceArn("datastore")).isNotNull();
            assertThat(serviceArn("inventory")).isNotNull();
        });
    }

    /**
     * Two Gateways whose service networks exist already (CREATE_SERVICE_NETWORKS=false, look-up only): the cluster VPC is
     * associated with neither until a VpcAssociationPolicy asks for it. Two networks, because Lattice associates a VPC
     * with one network at a time — with the controller creating networks, the second Gateway could never be associated.
     */
    private void twoLookedUpNetworks() throws Exception {
        fixture = new ControllerFixture(dataDir, client, Map.of("CREATE_SERVICE_NETWORKS", "false"));
        fixture.lattice.createServiceNetwork(r -> r.name("eks-lattice-network"));
        fixture.lattice.createServiceNetwork(r -> r.name("other-network"));
        SampleCluster.apply(client, "gateway-lattice.yaml");
        load("""
                apiVersion: gateway.networking.k8s.io/v1beta1
                kind: Gateway
                metadata: {name: other-network, namespace: default}
                spec:
                  gatewayClassName: amazon-vpc-lattice
                  listeners: [{name: http, protocol: HTTP, port: 80}]
                """);
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(associationGroups("eks-lattice-network")).isEmpty();
            assertThat(associationGroups("other-network")).isEmpty();
        });
    }

    @AfterEach
    void stop() {
        if (restarted != null) {
            restarted.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (fixture != null) {
            fixture.close();
        }
        v1.stop(0);
        v2.stop(0);
    }

    @Test
    void iamAuthPolicyMovedToAnotherRouteOpensTheFormerAndClosesTheNewOne() throws Exception {
        walkthroughWithTwoRoutes();
        movesAndIsUndoneOnItsFormerTarget(new Moving<>(IAMAuthPolicy.class, "apps", "HTTPRoute", "datastore", "inventory") {
            @Override
            IAMAuthPolicy policy(String target) {
                IAMAuthPolicy policy = new IAMAuthPolicy();
                policy.setMetadata(new ObjectMetaBuilder().withName("moving").withNamespace("apps").build());
                IAMAuthPolicy.Spec spec = new IAMAuthPolicy.Spec();
                spec.setTargetRef(ref("HTTPRoute", target));
                spec.setPolicy(SIGNED_ONLY);
                policy.setSpec(spec);
                return policy;
            }

            @Override
            void assertApplied(String route) {
                String arn = serviceArn(route);
                assertThat(fixture.lattice.getService(r -> r.serviceIdentifier(arn)).authType()).isEqualTo(AuthType.AWS_IAM);
                assertThat(fixture.lattice.getAuthPolicy(r -> r.resourceIdentifier(arn)).policy())
                        .contains("arn:aws:iam::111122223333:root");
                assertThat(gateway.get(route + ".sarathy.io", "/popular")).startsWith("403 ");
            }

            @Override
            void assertNotApplied(String route) {
                String arn = serviceArn(route);
                assertThat(fixture.lattice.getService(r -> r.serviceIdentifier(arn)).authType()).isEqualTo(AuthType.NONE);
                assertThatThrownBy(() -> fixture.lattice.getAuthPolicy(r -> r.resourceIdentifier(arn)))
                        .isInstanceOf(ResourceNotFoundException.class);
                assertThat(gateway.get(route + ".sarathy.io", "/popular")).startsWith("200 datastore ");
            }
        });
    }

    @Test
    void targetGroupPolicyMovedToAnotherServiceRestoresTheFormerGroupsDefaultHealthCheck() throws Exception {
        walkthroughWithTwoRoutes();
        movesAndIsUndoneOnItsFormerTarget(new Moving<>(TargetGroupPolicy.class, "apps", "Service", "datastore-v1-svc",
                "datastore-v2-svc") {
            @Override
            TargetGroupPolicy policy(String target) {
                TargetGroupPolicy policy = new TargetGroupPolicy();
                policy.setMetadata(new ObjectMetaBuilder().withName("moving").withNamespace("apps").build());
                TargetGroupPolicy.Spec spec = new TargetGroupPolicy.Spec();
                spec.setTargetRef(ref("Service", target));
                TargetGroupPolicy.HealthCheck check = new TargetGroupPolicy.HealthCheck();
                check.setPath("/live");
                check.setIntervalSeconds(15);
                spec.setHealthCheck(check);
                policy.setSpec(spec);
                return policy;
            }

            @Override
            void assertApplied(String service) {
                assertThat(groups(service)).isNotEmpty().allSatisfy(g -> {
                    assertThat(g.config().healthCheck().path()).isEqualTo("/live");
                    assertThat(g.config().healthCheck().healthCheckIntervalSeconds()).isEqualTo(15);
                });
            }

            @Override
            void assertNotApplied(String service) {
                assertThat(groups(service)).isNotEmpty().allSatisfy(g -> {
                    assertThat(g.config().healthCheck().path()).isEqualTo("/");
                    assertThat(g.config().healthCheck().healthCheckIntervalSeconds()).isEqualTo(30);
                });
            }
        });
    }

    @Test
    void vpcAssociationPolicyMovedToAnotherGatewayTakesTheAssociationAndItsSecurityGroupsAlong() throws Exception {
        twoLookedUpNetworks();
        movesAndIsUndoneOnItsFormerTarget(new Moving<>(VpcAssociationPolicy.class, "default", "Gateway",
                "eks-lattice-network", "other-network") {
            @Override
            VpcAssociationPolicy policy(String target) {
                VpcAssociationPolicy policy = new VpcAssociationPolicy();
                policy.setMetadata(new ObjectMetaBuilder().withName("moving").withNamespace("default").build());
                VpcAssociationPolicy.Spec spec = new VpcAssociationPolicy.Spec();
                spec.setTargetRef(ref("Gateway", target));
                spec.setSecurityGroupIds(List.of(GROUP));
                policy.setSpec(spec);
                return policy;
            }

            @Override
            void assertApplied(String gatewayName) {
                assertThat(associationGroups(gatewayName)).singleElement().isEqualTo(List.of(GROUP));
            }

            @Override
            void assertNotApplied(String gatewayName) {
                // look-up only: without the policy, the controller does not associate the cluster VPC
                assertThat(associationGroups(gatewayName)).isEmpty();
            }
        });
    }

    @Test
    void accessLogPolicyMovedToAnotherRouteMovesItsSubscription() throws Exception {
        walkthroughWithTwoRoutes();
        movesAndIsUndoneOnItsFormerTarget(new Moving<>(AccessLogPolicy.class, "apps", "HTTPRoute", "datastore",
                "inventory") {
            @Override
            AccessLogPolicy policy(String target) {
                AccessLogPolicy policy = new AccessLogPolicy();
                policy.setMetadata(new ObjectMetaBuilder().withName("moving").withNamespace("apps").build());
                AccessLogPolicy.Spec spec = new AccessLogPolicy.Spec();
                spec.setTargetRef(ref("HTTPRoute", target));
                spec.setDestinationArn(BUCKET);
                policy.setSpec(spec);
                return policy;
            }

            @Override
            void assertApplied(String route) {
                List<AccessLogSubscriptionSummary> subscriptions = subscriptions(route);
                assertThat(subscriptions).singleElement().satisfies(s -> assertThat(s.destinationArn()).isEqualTo(BUCKET));
                // the annotation the AWS controller writes names the subscription of the current target
                assertThat(client.resources(AccessLogPolicy.class).inNamespace("apps").withName("moving").get()
                        .getMetadata().getAnnotations().get(AccessLogPolicyReconciler.SUBSCRIPTION_ANNOTATION))
                        .isEqualTo(subscriptions.get(0).arn());
            }

            @Override
            void assertNotApplied(String route) {
                assertThat(subscriptions(route)).isEmpty();
            }
        });
    }

    @Test
    void aFormerTargetThatNoLongerExistsDoesNotHoldThePolicyBack() throws Exception {
        walkthroughWithTwoRoutes();
        IAMAuthPolicy policy = new IAMAuthPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName("moving").withNamespace("apps").build());
        IAMAuthPolicy.Spec spec = new IAMAuthPolicy.Spec();
        spec.setTargetRef(ref("HTTPRoute", "inventory"));
        spec.setPolicy(SIGNED_ONLY);
        policy.setSpec(spec);
        client.resource(policy).create();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(gateway.get("inventory.sarathy.io", "/popular")).startsWith("403 ");
            assertThat(record(IAMAuthPolicy.class, "apps")).isEqualTo("HTTPRoute/inventory");
        });

        client.resources(HTTPRoute.class).inNamespace("apps").withName("inventory").delete();
        await().atMost(TIMEOUT).untilAsserted(() ->
                assertThat(client.resources(HTTPRoute.class).inNamespace("apps").withName("inventory").get()).isNull());
        retarget(IAMAuthPolicy.class, "apps", "datastore");

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(record(IAMAuthPolicy.class, "apps")).isEqualTo("HTTPRoute/datastore");
            assertThat(accepted(IAMAuthPolicy.class, "apps")).startsWith("True", "Accepted");
            assertThat(gateway.get("datastore.sarathy.io", "/popular")).startsWith("403 ");
        });
    }

    /** One policy kind's way to make the policy and to see its effect on a target. */
    private abstract static class Moving<P extends CustomResource<? extends TargetedSpec, PolicyStatus>> {
        final Class<P> type;
        final String namespace;
        final String kind;
        final String first;
        final String second;

        Moving(Class<P> type, String namespace, String kind, String first, String second) {
            this.type = type;
            this.namespace = namespace;
            this.kind = kind;
            this.first = first;
            this.second = second;
        }

        /** The policy named {@code moving} with {@code target} as targetRef. */
        abstract P policy(String target);

        abstract void assertApplied(String target);

        abstract void assertNotApplied(String target);
    }

    private <P extends CustomResource<? extends TargetedSpec, PolicyStatus>> void movesAndIsUndoneOnItsFormerTarget(
            Moving<P> moving) throws Exception {
        client.resource(moving.policy(moving.first)).create();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(accepted(moving.type, moving.namespace)).startsWith("True", "Accepted");
            moving.assertApplied(moving.first);
            moving.assertNotApplied(moving.second);
            assertThat(record(moving.type, moving.namespace)).isEqualTo(moving.kind + "/" + moving.first);
        });

        // kubectl edit of spec.targetRef while the controller runs
        retarget(moving.type, moving.namespace, moving.second);
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            moving.assertApplied(moving.second);
            moving.assertNotApplied(moving.first);
            assertThat(record(moving.type, moving.namespace)).isEqualTo(moving.kind + "/" + moving.second);
        });

        // edited back while no controller runs; a new instance knows only what the cluster and Lattice say
        fixture.controller.close();
        retarget(moving.type, moving.namespace, moving.first);
        restarted = new TrellisController(fixture.config, client, fixture.lattice, fixture.acm, new ControllerMetrics())
                .start();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            moving.assertApplied(moving.first);
            moving.assertNotApplied(moving.second);
            assertThat(record(moving.type, moving.namespace)).isEqualTo(moving.kind + "/" + moving.first);
        });

        client.resources(moving.type).inNamespace(moving.namespace).withName("moving").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(client.resources(moving.type).inNamespace(moving.namespace).withName("moving").get()).isNull();
            moving.assertNotApplied(moving.first);
            moving.assertNotApplied(moving.second);
        });
    }

    private <P extends CustomResource<? extends TargetedSpec, PolicyStatus>> void retarget(Class<P> type, String namespace,
            String target) {
        client.resources(type).inNamespace(namespace).withName("moving").edit(p -> {
            p.getSpec().getTargetRef().setName(target);
            return p;
        });
    }

    private <P extends CustomResource<? extends TargetedSpec, PolicyStatus>> String record(Class<P> type, String namespace) {
        Map<String, String> annotations = client.resources(type).inNamespace(namespace).withName("moving").get()
                .getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(PolicyReconciler.APPLIED_TO_ANNOTATION);
    }

    private <P extends CustomResource<? extends TargetedSpec, PolicyStatus>> List<String> accepted(Class<P> type,
            String namespace) {
        P policy = client.resources(type).inNamespace(namespace).withName("moving").get();
        return PolicyTestSupport.conditionOf(policy.getStatus().getConditions());
    }

    private String serviceArn(String route) {
        HTTPRoute found = client.resources(HTTPRoute.class).inNamespace("apps").withName(route).get();
        return found == null || found.getMetadata().getAnnotations() == null ? null
                : found.getMetadata().getAnnotations().get(HttpRouteReconciler.SERVICE_ARN_ANNOTATION);
    }

    private String network(String name) {
        return fixture.lattice.listServiceNetworks(r -> { }).items().stream().filter(n -> n.name().equals(name))
                .map(n -> n.id()).findFirst().orElse(null);
    }

    /** The security groups of each association of the cluster VPC with the Gateway's network. */
    private List<List<String>> associationGroups(String gatewayName) {
        String network = network(gatewayName);
        return fixture.lattice.listServiceNetworkVpcAssociations(r -> r.serviceNetworkIdentifier(network)).items().stream()
                .filter(a -> a.vpcId().equals(fixture.vpcId))
                .map(a -> fixture.lattice.getServiceNetworkVpcAssociation(r -> r.serviceNetworkVpcAssociationIdentifier(a.id()))
                        .securityGroupIds())
                .toList();
    }

    /** Every target group this cluster made for the Service (one per route using it). */
    private List<GetTargetGroupResponse> groups(String service) {
        return fixture.lattice.listTargetGroups(r -> r.vpcIdentifier(fixture.vpcId)).items().stream()
                .filter(g -> g.name().startsWith("k8s-apps-" + service + "-"))
                .map(g -> fixture.lattice.getTargetGroup(r -> r.targetGroupIdentifier(g.id())))
                .toList();
    }

    private List<AccessLogSubscriptionSummary> subscriptions(String route) {
        String arn = serviceArn(route);
        return fixture.lattice.listAccessLogSubscriptions(r -> r.resourceIdentifier(arn)).items();
    }

    private void load(String yaml) {
        for (HasMetadata item : client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
            client.resource(item).create();
        }
    }
}
