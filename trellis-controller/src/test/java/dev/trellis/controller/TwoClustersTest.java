package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.identity.IdentityDirectory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
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
        apply(a.client(), "gateway-lattice.yaml");
        apply(b.client(), "gateway-lattice.yaml");

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

    private java.util.List<String> vpcsOfNetwork() {
        String id = lattice.listServiceNetworks(r -> { }).items().get(0).id();
        return lattice.listServiceNetworkVpcAssociations(r -> r.serviceNetworkIdentifier(id)).items().stream()
                .map(v -> v.vpcId()).toList();
    }

    private static void apply(KubernetesClient client, String file) throws IOException {
        try (InputStream in = Files.newInputStream(ReferenceFiles.resolve("seed/sample/" + file))) {
            for (HasMetadata item : client.load(in).items()) {
                if (item instanceof Gateway && item.getMetadata().getNamespace() == null) {
                    item.getMetadata().setNamespace("default");
                }
                client.resource(item).create();
            }
        }
    }
}
