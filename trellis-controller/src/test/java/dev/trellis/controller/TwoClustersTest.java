package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.identity.IdentityDirectory;
import io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;

/**
 * The walkthrough's two clusters: each has its own API server, VPC and controller, both apply the Gateway
 * {@code eks-lattice-network}, and they share one service network. One cluster leaving does not take the network from
 * the other; the last one out removes it.
 */
class TwoClustersTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    static {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    @TempDir
    Path dataDir;

    private ControlPlane controlPlane;
    private VpcLatticeClient lattice;
    private Cluster a;
    private Cluster b;

    /** One cluster: a mock API server in CRUD mode, its client, its VPC and its controller. */
    private record Cluster(KubernetesMockServer server, KubernetesClient client, String vpcId, TrellisController controller)
            implements AutoCloseable {
        @Override
        public void close() {
            controller.close();
            client.close();
            server.destroy();
        }
    }

    @BeforeEach
    void start() throws Exception {
        controlPlane = ControlPlane.start(new ControlPlane.Options(dataDir, "127.0.0.1", 0, "h2",
                ControlPlaneConfig.defaults("us-west-2", "111122223333")), Clock.systemUTC());
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey()));
        lattice = VpcLatticeClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials).build();
        try (Ec2Client ec2 = Ec2Client.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials).build()) {
            // the same range twice, as the walkthrough's clusters may have
            a = cluster("eks-cluster-a", ec2.createVpc(r -> r.cidrBlock("10.0.0.0/16")).vpc().vpcId());
            b = cluster("eks-cluster-b", ec2.createVpc(r -> r.cidrBlock("10.0.0.0/16")).vpc().vpcId());
        }
    }

    private Cluster cluster(String name, String vpcId) throws IOException {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        KubernetesClient client = server.createClient();
        ControllerConfig config = ControllerConfig.fromEnvironment(Map.of(
                "CLUSTER_NAME", name, "CLUSTER_VPC_ID", vpcId, "AWS_ACCOUNT_ID", "111122223333", "REGION", "us-west-2",
                "LATTICE_ENDPOINT", controlPlane.endpoint().toString(), "GATEWAY_API_VERSIONS", "v1,v1beta1",
                "HEALTH_PROBE_BIND_ADDRESS", "", "METRICS_BIND_ADDRESS", "0"));
        return new Cluster(server, client, vpcId, new TrellisController(config, client, lattice).start());
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
        lattice.close();
        controlPlane.close();
    }

    @Test
    void bothClustersJoinOneNetworkAndOnlyTheLastOneOutRemovesIt() throws Exception {
        SampleCluster.apply(a.client(), "gateway-lattice.yaml");
        SampleCluster.apply(b.client(), "gateway-lattice.yaml");

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(lattice.listServiceNetworks(r -> { }).items()).singleElement()
                    .satisfies(n -> assertThat(n.name()).isEqualTo("eks-lattice-network"));
            assertThat(vpcsOfNetwork()).containsExactlyInAnyOrder(a.vpcId(), b.vpcId());
            for (Cluster cluster : new Cluster[] {a, b}) {
                Gateway gateway = cluster.client().resources(Gateway.class).inNamespace("default")
                        .withName("eks-lattice-network").get();
                assertThat(Conditions.isTrue(gateway.getStatus().getConditions(), "Programmed")).isTrue();
            }
        });

        // cluster A made the network; B leaving removes only B's association
        b.client().resources(Gateway.class).inNamespace("default").withName("eks-lattice-network").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(b.client().resources(Gateway.class).inNamespace("default").withName("eks-lattice-network").get())
                    .isNull();
            assertThat(vpcsOfNetwork()).containsExactly(a.vpcId());
        });

        a.client().resources(Gateway.class).inNamespace("default").withName("eks-lattice-network").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() ->
                assertThat(lattice.listServiceNetworks(r -> { }).items()).isEmpty());
    }

    /**
     * The walkthrough's traffic: the datastore runs in cluster B (its route, Services and pods there), and a client in
     * cluster A's VPC — the same CIDR — reaches it by its custom domain through A's gateway, which forwards over the
     * fabric to B's gateway, which proxies to B's pods. The canary split holds across the fabric.
     */
    @Test
    void aClientInClusterAReachesTheDatastoreOfClusterBThroughTheFabric() throws Exception {
        HttpServer v1 = SampleCluster.datastore("v1");
        HttpServer v2 = SampleCluster.datastore("v2");
        try (InProcessGateway gatewayA = InProcessGateway.withFabric(controlPlane, a.vpcId(), dataDir.resolve("gw-a"));
                InProcessGateway gatewayB = InProcessGateway.withFabric(controlPlane, b.vpcId(), dataDir.resolve("gw-b"))) {
            SampleCluster.apply(a.client(), "gateway-lattice.yaml");
            SampleCluster.apply(b.client(), "gateway-lattice.yaml");
            SampleCluster.apply(b.client(), "datastore.yaml");
            b.client().resource(SampleCluster.slice("datastore-v1-svc", "datastore-v1-svc-abcde", List.of("127.0.0.1"),
                    v1.getAddress().getPort())).create();
            b.client().resource(SampleCluster.slice("datastore-v2-svc", "datastore-v2-svc-fghij", List.of("127.0.0.1"),
                    v2.getAddress().getPort())).create();
            SampleCluster.apply(b.client(), "route-datastore-canary.yaml");

            await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> gatewayA.get("datastore.sarathy.io", "/popular").startsWith("200"));
            // the target groups are in B's VPC only: A's gateway has no pod of its own to send to
            assertThat(lattice.listTargetGroups(r -> r.vpcIdentifier(a.vpcId())).items()).isEmpty();
            for (int i = 0; i < 10; i++) {
                assertThat(gatewayA.get("datastore.sarathy.io", "/popular")).isEqualTo("200 datastore v1 /popular");
            }
            Set<String> summaries = new HashSet<>();
            for (int i = 0; i < 40; i++) {
                summaries.add(gatewayA.get("datastore.sarathy.io", "/summary"));
            }
            assertThat(summaries).containsExactlyInAnyOrder("200 datastore v1 /summary", "200 datastore v2 /summary");
            // and B's own clients are served directly
            assertThat(gatewayB.get("datastore.sarathy.io", "/popular")).isEqualTo("200 datastore v1 /popular");
        } finally {
            v1.stop(0);
            v2.stop(0);
        }
    }

    private java.util.List<String> vpcsOfNetwork() {
        String id = lattice.listServiceNetworks(r -> { }).items().get(0).id();
        return lattice.listServiceNetworkVpcAssociations(r -> r.serviceNetworkIdentifier(id)).items().stream()
                .map(v -> v.vpcId()).toList();
    }
}
