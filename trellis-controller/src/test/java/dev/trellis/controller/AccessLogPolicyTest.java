package dev.trellis.controller;

import static dev.trellis.controller.PolicyTestSupport.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.trellis.controller.policy.AccessLogPolicy;
import dev.trellis.controller.policy.TargetRef;
import dev.trellis.gateway.accesslog.DestinationAccessLog;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.vpclattice.model.AccessLogSubscriptionSummary;

/**
 * AccessLogPolicy through the Lattice API: subscriptions on the Gateway's network and the route's service, their ARNs
 * in the policies' annotation, one policy per destination type, a destination change updated in place, deletion
 * removing the subscription — and the in-process gateway writing a request's log line where the subscription points.
 */
@EnableKubernetesMockClient(crud = true)
class AccessLogPolicyTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final String BUCKET = "arn:aws:s3:::datastore-access-logs";
    private static final String LOG_GROUP = "arn:aws:logs:us-west-2:111122223333:log-group:/lattice/datastore";
    private static final String OTHER_GROUP = "arn:aws:logs:us-west-2:111122223333:log-group:/lattice/other";
    private static final String STREAM = "arn:aws:firehose:us-west-2:111122223333:deliverystream/datastore";

    static {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dataDir;

    private ControllerFixture fixture;
    private InProcessGateway gateway;
    private HttpServer v1;
    private HttpServer v2;
    private Path logs;

    @BeforeEach
    void start() throws Exception {
        v1 = SampleCluster.datastore("v1");
        v2 = SampleCluster.datastore("v2");
        PolicyTestSupport.installCrds(client);
        fixture = new ControllerFixture(dataDir, client, Map.of());
        logs = dataDir.resolve("access-logs");
        gateway = InProcessGateway.withAccessLogs(fixture.controlPlane, fixture.vpcId, dataDir.resolve("gateway"), logs);
    }

    @AfterEach
    void stop() {
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
    void policiesBecomeSubscriptionsThatTheGatewayWritesToAndDeletionRemovesThem() throws Exception {
        SampleCluster.apply(client, "gateway-lattice.yaml");
        SampleCluster.apply(client, "datastore.yaml");
        client.resource(SampleCluster.slice("datastore-v1-svc", "v1-a", java.util.List.of("127.0.0.1"), v1.getAddress().getPort())).create();
        client.resource(SampleCluster.slice("datastore-v2-svc", "v2-a", java.util.List.of("127.0.0.1"), v2.getAddress().getPort())).create();
        SampleCluster.apply(client, "route-datastore-canary.yaml");
        client.resource(policy("default", "network-logs", ref("Gateway", "eks-lattice-network"), BUCKET)).create();
        client.resource(policy("apps", "service-logs", ref("HTTPRoute", "datastore"), LOG_GROUP)).create();

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(accepted("default", "network-logs")).startsWith("True", "Accepted");
            assertThat(accepted("apps", "service-logs")).startsWith("True", "Accepted");
        });
        String serviceArn = client.resources(HTTPRoute.class).inNamespace("apps").withName("datastore").get()
                .getMetadata().getAnnotations().get(HttpRouteReconciler.SERVICE_ARN_ANNOTATION);
        String networkArn = fixture.lattice.listServiceNetworks(r -> { }).items().get(0).arn();
        AccessLogSubscriptionSummary onService = subscriptions(serviceArn).get(0);
        assertThat(subscriptions(serviceArn)).singleElement().satisfies(s -> assertThat(s.destinationArn()).isEqualTo(LOG_GROUP));
        assertThat(subscriptions(networkArn)).singleElement().satisfies(s -> assertThat(s.destinationArn()).isEqualTo(BUCKET));
        assertThat(annotation("apps", "service-logs")).isEqualTo(onService.arn());
        assertThat(annotation("default", "network-logs")).isEqualTo(subscriptions(networkArn).get(0).arn());

        // one request: a line in the log group's file and in the bucket's (the network's subscription covers it)
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(gateway.get("datastore.sarathy.io", "/popular")).isEqualTo("200 datastore v1 /popular");
            assertThat(Files.readString(logs.resolve(DestinationAccessLog.relativePath(LOG_GROUP)))).contains("/popular");
            assertThat(Files.readString(logs.resolve(DestinationAccessLog.relativePath(BUCKET)))).contains("/popular");
        });

        // a second log group for the route is Conflicted; a Firehose stream (another type) is fine; a queue is Invalid
        client.resource(policy("apps", "second-group", ref("HTTPRoute", "datastore"), OTHER_GROUP)).create();
        client.resource(policy("apps", "stream", ref("HTTPRoute", "datastore"), STREAM)).create();
        client.resource(policy("apps", "queue", ref("HTTPRoute", "datastore"),
                "arn:aws:sqs:us-west-2:111122223333:datastore")).create();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(accepted("apps", "second-group").subList(0, 2)).containsExactly("False", "Conflicted");
            assertThat(accepted("apps", "stream")).startsWith("True", "Accepted");
            assertThat(accepted("apps", "queue").subList(0, 2)).containsExactly("False", "Invalid");
            assertThat(subscriptions(serviceArn)).extracting(AccessLogSubscriptionSummary::destinationArn)
                    .containsExactlyInAnyOrder(LOG_GROUP, STREAM);
        });
        for (String name : List.of("second-group", "stream", "queue")) {
            client.resources(AccessLogPolicy.class).inNamespace("apps").withName(name).delete();
        }
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(subscriptions(serviceArn))
                .extracting(AccessLogSubscriptionSummary::destinationArn).containsExactly(LOG_GROUP));

        // a new destination of the same type: the same subscription, updated
        AccessLogPolicy edited = client.resources(AccessLogPolicy.class).inNamespace("apps").withName("service-logs").get();
        edited.getSpec().setDestinationArn(OTHER_GROUP);
        client.resource(edited).update();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(subscriptions(serviceArn)).singleElement()
                .satisfies(s -> {
                    assertThat(s.destinationArn()).isEqualTo(OTHER_GROUP);
                    assertThat(s.id()).isEqualTo(onService.id());
                }));

        // a waiting policy of the same type takes over when the one holding the type is deleted
        client.resource(policy("apps", "successor", ref("HTTPRoute", "datastore"), LOG_GROUP)).create();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() ->
                assertThat(accepted("apps", "successor").subList(0, 2)).containsExactly("False", "Conflicted"));
        client.resources(AccessLogPolicy.class).inNamespace("apps").withName("service-logs").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(accepted("apps", "successor")).startsWith("True", "Accepted");
            assertThat(subscriptions(serviceArn)).singleElement().satisfies(s -> {
                assertThat(s.destinationArn()).isEqualTo(LOG_GROUP);
                assertThat(s.arn()).isEqualTo(annotation("apps", "successor"));
            });
        });

        client.resources(AccessLogPolicy.class).inNamespace("apps").withName("successor").delete();
        client.resources(AccessLogPolicy.class).inNamespace("default").withName("network-logs").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(client.resources(AccessLogPolicy.class).inAnyNamespace().list().getItems()).isEmpty();
            assertThat(subscriptions(serviceArn)).isEmpty();
            assertThat(subscriptions(networkArn)).isEmpty();
        });
    }

    private List<AccessLogSubscriptionSummary> subscriptions(String resource) {
        return fixture.lattice.listAccessLogSubscriptions(r -> r.resourceIdentifier(resource)).items();
    }

    private List<String> accepted(String namespace, String name) {
        AccessLogPolicy policy = client.resources(AccessLogPolicy.class).inNamespace(namespace).withName(name).get();
        return PolicyTestSupport.conditionOf(policy.getStatus().getConditions());
    }

    private String annotation(String namespace, String name) {
        return client.resources(AccessLogPolicy.class).inNamespace(namespace).withName(name).get().getMetadata()
                .getAnnotations().get(AccessLogPolicyReconciler.SUBSCRIPTION_ANNOTATION);
    }

    private static AccessLogPolicy policy(String namespace, String name, TargetRef ref, String destination) {
        AccessLogPolicy policy = new AccessLogPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        AccessLogPolicy.Spec spec = new AccessLogPolicy.Spec();
        spec.setTargetRef(ref);
        spec.setDestinationArn(destination);
        policy.setSpec(spec);
        return policy;
    }
}
