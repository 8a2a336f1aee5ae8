package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ControllerConfigTest {

    private static Map<String, String> required() {
        Map<String, String> env = new HashMap<>();
        env.put("CLUSTER_NAME", "eks-cluster-a");
        env.put("CLUSTER_VPC_ID", "vpc-0123456789abcdef0");
        env.put("AWS_ACCOUNT_ID", "111122223333");
        env.put("REGION", "us-west-2");
        return env;
    }

    @Test
    void defaultsFollowTheAwsControllerAndTheWalkthrough() {
        ControllerConfig config = ControllerConfig.fromEnvironment(required());

        assertThat(config.controllerName()).isEqualTo("application-networking.k8s.aws/gateway-api-controller");
        assertThat(config.createServiceNetworks()).isTrue();
        assertThat(config.serviceNetworkOverride()).isFalse();
        assertThat(config.gatewayApiVersions()).containsExactly("v1");
        assertThat(config.healthProbeBindAddress()).isEqualTo(":8081");
        assertThat(config.latticeEndpoint()).isNull();
        assertThat(config.managedBy()).isEqualTo("111122223333/eks-cluster-a/vpc-0123456789abcdef0");
        assertThat(config.metricsBindAddress()).isEqualTo(":8080");
        assertThat(config.servesMetrics()).isTrue();
        assertThat(config.leaderElection()).isFalse();
        assertThat(config.resync()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void operationsSettingsFollowTheAwsControllersRules() {
        Map<String, String> env = required();
        env.put("METRICS_BIND_ADDRESS", "0");
        env.put("LEADER_ELECT", "true");
        env.put("POD_NAMESPACE", "aws-application-networking-system");
        env.put("RECONCILE_DEFAULT_RESYNC_SECONDS", "0");
        ControllerConfig config = ControllerConfig.fromEnvironment(env);
        assertThat(config.servesMetrics()).isFalse();
        assertThat(config.leaderElection()).isTrue();
        assertThat(config.leaderElectionNamespace()).isEqualTo("aws-application-networking-system");
        assertThat(config.resync()).isZero();

        env.put("LEADER_ELECTION_NAMESPACE", "trellis-system");
        assertThat(ControllerConfig.fromEnvironment(env).leaderElectionNamespace()).isEqualTo("trellis-system");

        env.put("RECONCILE_DEFAULT_RESYNC_SECONDS", "30");
        assertThatThrownBy(() -> ControllerConfig.fromEnvironment(env))
                .hasMessage("RECONCILE_DEFAULT_RESYNC_SECONDS must be 0 (off) or at least 60, got '30'");
        env.put("RECONCILE_DEFAULT_RESYNC_SECONDS", "5m");
        assertThatThrownBy(() -> ControllerConfig.fromEnvironment(env))
                .hasMessage("RECONCILE_DEFAULT_RESYNC_SECONDS must be a whole number of seconds, got '5m'");
    }

    @Test
    void aMissingRequiredVariableIsNamed() {
        Map<String, String> env = required();
        env.remove("CLUSTER_VPC_ID");

        assertThatThrownBy(() -> ControllerConfig.fromEnvironment(env))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("CLUSTER_VPC_ID is required (environment variable or flag)");
    }

    @Test
    void booleansAndVersionsAreParsedStrictly() {
        Map<String, String> env = required();
        env.put("CREATE_SERVICE_NETWORKS", "False");
        env.put("GATEWAY_API_VERSIONS", "v1beta1, v1");
        ControllerConfig config = ControllerConfig.fromEnvironment(env);
        assertThat(config.createServiceNetworks()).isFalse();
        assertThat(config.gatewayApiVersions()).containsExactlyInAnyOrder("v1", "v1beta1");

        env.put("CREATE_SERVICE_NETWORKS", "yes");
        assertThatThrownBy(() -> ControllerConfig.fromEnvironment(env))
                .hasMessage("CREATE_SERVICE_NETWORKS must be true or false, got 'yes'");
        env.put("CREATE_SERVICE_NETWORKS", "true");
        env.put("GATEWAY_API_VERSIONS", "v1alpha2");
        assertThatThrownBy(() -> ControllerConfig.fromEnvironment(env))
                .hasMessageStartingWith("GATEWAY_API_VERSIONS must be v1, v1beta1 or v1,v1beta1");
    }

    @Test
    void serviceNamesAreTheAwsControllersTruncatedRouteAndNamespace() {
        assertThat(LatticeNames.serviceName("datastore", "apps", null)).isEqualTo("datastore-apps");
        assertThat(LatticeNames.serviceName("a-very-long-route-name-indeed", "a-long-namespace-name-here", null))
                .isEqualTo("a-very-long-route-na-a-long-namespace-n");
        assertThat(LatticeNames.serviceName("route-name-of-twenty", "ns", null)).isEqualTo("route-name-of-twenty-ns");
        assertThat(LatticeNames.serviceName("abcdefghijklmnopqrs-x", "ns", null)).isEqualTo("abcdefghijklmnopqrs-ns");
        assertThat(LatticeNames.serviceName("datastore", "apps", " datastore-canary ")).isEqualTo("datastore-canary");
    }

    @Test
    void targetGroupNamesAreStablePerRouteBackendAndCluster() {
        String a = LatticeNames.targetGroupName("c1", "vpc-1", "apps", "datastore", "apps", "datastore-v1-svc", 80);
        assertThat(a).matches("k8s-apps-datastore-v1-svc-[a-z]{10}");
        assertThat(LatticeNames.targetGroupName("c1", "vpc-1", "apps", "datastore", "apps", "datastore-v1-svc", 80))
                .isEqualTo(a);
        assertThat(LatticeNames.targetGroupName("c2", "vpc-2", "apps", "datastore", "apps", "datastore-v1-svc", 80))
                .isNotEqualTo(a);
    }
}
