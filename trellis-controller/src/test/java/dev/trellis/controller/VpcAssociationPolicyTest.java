package dev.trellis.controller;

import static dev.trellis.controller.PolicyTestSupport.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.controller.policy.VpcAssociationPolicy;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway;
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

/**
 * VpcAssociationPolicy through the Lattice API: security groups on the cluster VPC's association, associateWithVpc
 * false removing it (and a Gateway reconcile not putting it back), and deletion returning to the Gateway's own
 * association without security groups.
 */
@EnableKubernetesMockClient(crud = true)
class VpcAssociationPolicyTest {

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
    void securityGroupsAndAssociateWithVpcShapeTheClusterVpcsAssociation() throws Exception {
        SampleCluster.apply(client, "gateway-lattice.yaml");
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() ->
                assertThat(associations()).singleElement().satisfies(a -> assertThat(a).isEmpty()));

        client.resource(policy("cluster-vpc", List.of("sg-0a1b2c3d4e5f60718", "sg-05f4e3d2c1b0a9876"), null)).create();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(accepted("cluster-vpc")).startsWith("True", "Accepted");
            assertThat(associations()).singleElement().satisfies(a ->
                    assertThat(a).containsExactlyInAnyOrder("sg-0a1b2c3d4e5f60718", "sg-05f4e3d2c1b0a9876"));
        });

        client.resource(policy("bad-group", List.of("security-group-1"), null)).create();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() ->
                assertThat(accepted("bad-group")).containsExactly("False", "Invalid",
                        "securityGroupIds: 'security-group-1' is not a security group id (sg-...)"));
        client.resources(VpcAssociationPolicy.class).inNamespace("default").withName("bad-group").delete();

        // associateWithVpc: false removes the association, and the Gateway's next reconcile leaves it removed
        VpcAssociationPolicy edited = client.resources(VpcAssociationPolicy.class).inNamespace("default")
                .withName("cluster-vpc").get();
        edited.getSpec().setAssociateWithVpc(false);
        client.resource(edited).update();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(associations()).isEmpty();
            assertThat(accepted("cluster-vpc").get(2)).contains("removed");
        });
        client.resources(Gateway.class).inNamespace("default").withName("eks-lattice-network")
                .edit(g -> {
                    var second = new io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener();
                    second.setName("http-8080");
                    second.setPort(8080);
                    second.setProtocol("HTTP");
                    g.getSpec().getListeners().add(second);
                    return g;
                });
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(client.resources(Gateway.class)
                .inNamespace("default").withName("eks-lattice-network").get().getStatus().getListeners()).hasSize(2));
        assertThat(associations()).isEmpty();

        // deleting the policy: the Gateway's own association again, without security groups
        client.resources(VpcAssociationPolicy.class).inNamespace("default").withName("cluster-vpc").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(client.resources(VpcAssociationPolicy.class).inNamespace("default").withName("cluster-vpc").get())
                    .isNull();
            assertThat(associations()).singleElement().satisfies(a -> assertThat(a).isEmpty());
        });
    }

    /** The security groups of each association of the cluster VPC with eks-lattice-network. */
    private List<List<String>> associations() {
        var lattice = fixture.lattice;
        String network = lattice.listServiceNetworks(r -> { }).items().stream()
                .filter(n -> n.name().equals("eks-lattice-network")).findFirst().orElseThrow().id();
        return lattice.listServiceNetworkVpcAssociations(r -> r.serviceNetworkIdentifier(network)).items().stream()
                .filter(a -> a.vpcId().equals(fixture.vpcId))
                .map(a -> lattice.getServiceNetworkVpcAssociation(r -> r.serviceNetworkVpcAssociationIdentifier(a.id()))
                        .securityGroupIds())
                .toList();
    }

    private List<String> accepted(String name) {
        VpcAssociationPolicy policy = client.resources(VpcAssociationPolicy.class).inNamespace("default").withName(name).get();
        return PolicyTestSupport.conditionOf(policy.getStatus().getConditions());
    }

    private static VpcAssociationPolicy policy(String name, List<String> groups, Boolean associate) {
        VpcAssociationPolicy policy = new VpcAssociationPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("default").build());
        VpcAssociationPolicy.Spec spec = new VpcAssociationPolicy.Spec();
        spec.setTargetRef(ref("Gateway", "eks-lattice-network"));
        spec.setSecurityGroupIds(groups);
        spec.setAssociateWithVpc(associate);
        policy.setSpec(spec);
        return policy;
    }
}
