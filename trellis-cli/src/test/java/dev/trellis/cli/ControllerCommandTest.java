package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code trellis controller}'s settings are checked before anything connects. */
class ControllerCommandTest {

    @Test
    void aMalformedVpcIdIsRefusedNamingTheSetting() {
        CliTestSupport.Result result = CliTestSupport.run("controller", "--cluster-name", "eks-cluster-a",
                "--cluster-vpc-id", "not-a-vpc", "--aws-account-id", "111122223333", "--region", "us-west-2");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("CLUSTER_VPC_ID must look like vpc-0123456789abcdef0, got 'not-a-vpc'");
    }

    @Test
    void theOverrideWithoutADefaultNetworkIsRefused() {
        CliTestSupport.Result result = CliTestSupport.run("controller", "--cluster-name", "eks-cluster-a",
                "--cluster-vpc-id", "vpc-0123456789abcdef0", "--aws-account-id", "111122223333", "--region", "us-west-2",
                "--enable-service-network-override", "true");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("ENABLE_SERVICE_NETWORK_OVERRIDE=true needs DEFAULT_SERVICE_NETWORK");
    }
}
