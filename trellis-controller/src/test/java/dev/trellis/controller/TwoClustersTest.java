package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.trellis.controlplane.ControlPlane;
import io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
    private ClusterPair pair;
    private ClusterPair.Cluster a;
    private ClusterPair.Cluster b;


    @BeforeEach
    void start() throws Exception {
        pair = new ClusterPair(dataDir, false);
        controlPlane = pair.controlPlane;
        lattice = pair.lattice;
        a = pair.a;
        b = pair.b;
    }

    @AfterEach
    void stop() {
        pair.close();
    }

    @Test
    void bothClustersJoinOneNetworkAndOnlyTheLastOneOutRemovesIt() throws Exception {
        SampleCluster.apply(a.client(), "gateway-lattice.yaml");
        SampleCluster.apply(b.client(), "gateway-lattice.yaml");

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(lattice.listServiceNetworks(r -> { }).items()).singleElement()
                    .satisfies(n -> assertThat(n.name()).isEqualTo("eks-lattice-network"));
            assertThat(vpcsOfNetwork()).containsExactlyInAnyOrder(a.vpcId(), b.vpcId());
            for (ClusterPair.Cluster cluster : new ClusterPair.Cluster[] {a, b}) {
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
