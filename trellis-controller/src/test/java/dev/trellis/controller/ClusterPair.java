package dev.trellis.controller;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.identity.IdentityDirectory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;

/**
 * The walkthrough's two clusters: one in-process control plane (as VPC Lattice), two VPCs with the same CIDR made with
 * its EC2 API, and per cluster a mock API server in CRUD mode with its own controller (CLUSTER_NAME eks-cluster-a/-b).
 */
final class ClusterPair implements AutoCloseable {

    static {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    /** One cluster: its API server, client, VPC and controller. */
    record Cluster(KubernetesMockServer server, KubernetesClient client, String vpcId, TrellisController controller)
            implements AutoCloseable {
        @Override
        public void close() {
            controller.close();
            client.close();
            server.destroy();
        }
    }

    final ControlPlane controlPlane;
    final VpcLatticeClient lattice;
    final Cluster a;
    final Cluster b;

    /** {@code policyCrds}: install deploy/kubernetes/crds in both API servers first (the policy and multi-cluster kinds). */
    ClusterPair(Path dataDir, boolean policyCrds) throws Exception {
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
            a = cluster("eks-cluster-a", ec2.createVpc(r -> r.cidrBlock("10.0.0.0/16")).vpc().vpcId(), policyCrds);
            b = cluster("eks-cluster-b", ec2.createVpc(r -> r.cidrBlock("10.0.0.0/16")).vpc().vpcId(), policyCrds);
        }
    }

    private Cluster cluster(String name, String vpcId, boolean policyCrds) throws IOException {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        KubernetesClient client = server.createClient();
        if (policyCrds) {
            PolicyTestSupport.installCrds(client);
        }
        ControllerConfig config = ControllerConfig.fromEnvironment(Map.of(
                "CLUSTER_NAME", name, "CLUSTER_VPC_ID", vpcId, "AWS_ACCOUNT_ID", "111122223333", "REGION", "us-west-2",
                "LATTICE_ENDPOINT", controlPlane.endpoint().toString(), "GATEWAY_API_VERSIONS", "v1,v1beta1",
                "HEALTH_PROBE_BIND_ADDRESS", "", "METRICS_BIND_ADDRESS", "0"));
        return new Cluster(server, client, vpcId, new TrellisController(config, client, lattice).start());
    }

    @Override
    public void close() {
        a.close();
        b.close();
        lattice.close();
        controlPlane.close();
    }
}
