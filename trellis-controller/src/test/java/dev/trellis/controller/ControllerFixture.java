package dev.trellis.controller;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.identity.IdentityDirectory;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.acm.AcmClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;

/**
 * A real in-process Trellis control plane (as VPC Lattice), a VPC made with its EC2 API, an admin Lattice client, and
 * the controller running against a given Kubernetes API server.
 */
final class ControllerFixture implements AutoCloseable {

    final ControlPlane controlPlane;
    final VpcLatticeClient lattice;
    /** The control plane's ACM API, also given to the controller (certificates by hostname). */
    final AcmClient acm;
    final String vpcId;
    final ControllerMetrics metrics;
    final TrellisController controller;
    /** The controller's configuration, for a test that starts another controller instance on the same cluster. */
    final ControllerConfig config;

    ControllerFixture(Path dataDir, KubernetesClient kubernetes, Map<String, String> extraEnv) throws Exception {
        this(dataDir, kubernetes, extraEnv, UnaryOperator.identity());
    }

    /** {@code adjust} changes the configuration read from the environment (settings the environment cannot give). */
    ControllerFixture(Path dataDir, KubernetesClient kubernetes, Map<String, String> extraEnv,
            UnaryOperator<ControllerConfig> adjust) throws Exception {
        controlPlane = ControlPlane.start(new ControlPlane.Options(dataDir, "127.0.0.1", 0, "h2",
                ControlPlaneConfig.defaults("us-west-2", "111122223333")), Clock.systemUTC());
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey()));
        try (Ec2Client ec2 = Ec2Client.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials).build()) {
            vpcId = ec2.createVpc(r -> r.cidrBlock("192.168.0.0/16")).vpc().vpcId();
        }
        metrics = new ControllerMetrics();
        lattice = VpcLatticeClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials)
                .overrideConfiguration(o -> o.addExecutionInterceptor(metrics.latticeCalls()))
                .build();
        acm = AcmClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials).build();
        Map<String, String> env = new HashMap<>(Map.of(
                "CLUSTER_NAME", "eks-cluster-a",
                "CLUSTER_VPC_ID", vpcId,
                "AWS_ACCOUNT_ID", "111122223333",
                "REGION", "us-west-2",
                "LATTICE_ENDPOINT", controlPlane.endpoint().toString(),
                // the mock server does not convert between versions, so both are watched (docs/controller.md)
                "GATEWAY_API_VERSIONS", "v1,v1beta1",
                "HEALTH_PROBE_BIND_ADDRESS", "127.0.0.1:0",
                "METRICS_BIND_ADDRESS", "127.0.0.1:0"));
        env.putAll(extraEnv);
        config = adjust.apply(ControllerConfig.fromEnvironment(env));
        controller = new TrellisController(config, kubernetes, lattice, acm, metrics).start();
    }

    @Override
    public void close() {
        controller.close();
        lattice.close();
        acm.close();
        controlPlane.close();
    }
}
