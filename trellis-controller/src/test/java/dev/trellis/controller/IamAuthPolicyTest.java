package dev.trellis.controller;

import static dev.trellis.controller.PolicyTestSupport.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.trellis.controller.policy.IAMAuthPolicy;
import dev.trellis.controlplane.identity.IdentityDirectory;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.HTTPRoute;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.AuthType;
import software.amazon.awssdk.services.vpclattice.model.ResourceNotFoundException;

/**
 * The walkthrough's auth policies applied declaratively: an IAMAuthPolicy on the Gateway carries
 * {@code lattice-service-network-policy.json}, one on the HTTPRoute carries {@code lattice-service-policy.json} (adapted
 * to this run's role, service and VPC, as docs/walkthrough.md step 5 does). Real requests through an in-process gateway
 * show the effect: unsigned 403, signed as the role 200; deleting the policies opens the service again.
 */
@EnableKubernetesMockClient(crud = true)
class IamAuthPolicyTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

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

    @BeforeEach
    void start() throws Exception {
        v1 = SampleCluster.datastore("v1");
        v2 = SampleCluster.datastore("v2");
        PolicyTestSupport.installCrds(client);
        fixture = new ControllerFixture(dataDir, client, Map.of());
        gateway = new InProcessGateway(fixture.controlPlane, fixture.vpcId, dataDir.resolve("gateway"));
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
    void theWalkthroughsPoliciesAppliedAsIamAuthPoliciesRefuseUnsignedCallsAndAdmitTheRoleUntilDeleted() throws Exception {
        SampleCluster.apply(client, "gateway-lattice.yaml");
        SampleCluster.apply(client, "datastore.yaml");
        client.resource(SampleCluster.slice("datastore-v1-svc", "v1-a", java.util.List.of("127.0.0.1"), v1.getAddress().getPort())).create();
        client.resource(SampleCluster.slice("datastore-v2-svc", "v2-a", java.util.List.of("127.0.0.1"), v2.getAddress().getPort())).create();
        SampleCluster.apply(client, "route-datastore-canary.yaml");
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(gateway.get("datastore.sarathy.io", "/popular")).isEqualTo("200 datastore v1 /popular");
            // traffic may flow a moment before the route's reconcile writes the annotation
            assertThat(client.resources(HTTPRoute.class).inNamespace("apps").withName("datastore").get().getMetadata()
                    .getAnnotations()).containsKey(HttpRouteReconciler.SERVICE_ARN_ANNOTATION);
        });
        String serviceArn = client.resources(HTTPRoute.class).inNamespace("apps").withName("datastore").get()
                .getMetadata().getAnnotations().get(HttpRouteReconciler.SERVICE_ARN_ANNOTATION);

        // the client role of the walkthrough, which the admin may assume
        StaticCredentialsProvider admin = adminCredentials();
        String roleArn;
        AwsSessionCredentials role;
        try (IamClient iam = IamClient.builder().endpointOverride(fixture.controlPlane.endpoint()).region(Region.AWS_GLOBAL)
                .credentialsProvider(admin).build();
                StsClient sts = StsClient.builder().endpointOverride(fixture.controlPlane.endpoint())
                        .region(Region.US_WEST_2).credentialsProvider(admin).build()) {
            String adminArn = sts.getCallerIdentity().arn();
            String trust = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\""
                    + adminArn + "\"},\"Action\":\"sts:AssumeRole\"}]}";
            roleArn = iam.createRole(r -> r.roleName("aws-sigv4-client").assumeRolePolicyDocument(trust)).role().arn();
            String clientPolicy = PolicyTestSupport.read("lattice-client-policy.json");
            iam.putRolePolicy(r -> r.roleName("aws-sigv4-client").policyName("VPCLatticeClientPolicy")
                    .policyDocument(clientPolicy));
            var assumed = sts.assumeRole(r -> r.roleArn(roleArn).roleSessionName("frontend")).credentials();
            role = AwsSessionCredentials.create(assumed.accessKeyId(), assumed.secretAccessKey(), assumed.sessionToken());
        }

        // kubectl apply of the two policies
        client.resource(policy("default", "network-auth", ref("Gateway", "eks-lattice-network"),
                PolicyTestSupport.read("lattice-service-network-policy.json"))).create();
        String servicePolicy = PolicyTestSupport.read("lattice-service-policy.json")
                .replace("arn:aws:iam::615847537300:role/aws-sigv4-client", roleArn)
                .replace("arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501", serviceArn)
                .replace("vpc-027baaaf7156c6075", fixture.vpcId);
        client.resource(policy("apps", "datastore-auth", ref("HTTPRoute", "datastore"), servicePolicy)).create();

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(accepted("default", "network-auth")).startsWith("True", "Accepted");
            assertThat(accepted("apps", "datastore-auth")).startsWith("True", "Accepted");
        });
        VpcLatticeClient lattice = fixture.lattice;
        String networkId = lattice.listServiceNetworks(r -> { }).items().get(0).id();
        assertThat(lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier(networkId)).authType()).isEqualTo(AuthType.AWS_IAM);
        assertThat(lattice.getService(r -> r.serviceIdentifier(serviceArn)).authType()).isEqualTo(AuthType.AWS_IAM);
        assertThat(lattice.getAuthPolicy(r -> r.resourceIdentifier(serviceArn)).policy()).contains(roleArn);

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(gateway.get("datastore.sarathy.io", "/popular")).startsWith("403 ")
                    .contains("not authorized to perform: vpc-lattice-svcs:Invoke");
            assertThat(signedGet("datastore.sarathy.io", "/popular", role)).isEqualTo("200 datastore v1 /popular");
        });
        // the role's signature, but credentials the policy does not name: refused
        assertThat(signedGet("datastore.sarathy.io", "/popular", admin.resolveCredentials())).startsWith("403 ");

        // a second policy on the same route is Conflicted and changes nothing; bad input is Invalid; a missing target
        client.resource(policy("apps", "datastore-open", ref("HTTPRoute", "datastore"),
                PolicyTestSupport.read("lattice-service-network-policy.json"))).create();
        client.resource(policy("apps", "not-json", ref("HTTPRoute", "datastore"), "{Version: 2012"))
                .create();
        client.resource(policy("apps", "wrong-kind", ref("Service", "datastore-v1-svc"),
                PolicyTestSupport.read("lattice-service-network-policy.json"))).create();
        client.resource(policy("apps", "no-route", ref("HTTPRoute", "nonesuch"),
                PolicyTestSupport.read("lattice-service-network-policy.json"))).create();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(accepted("apps", "datastore-open")).startsWith("False", "Conflicted");
            assertThat(accepted("apps", "not-json").subList(0, 2)).containsExactly("False", "Invalid");
            assertThat(accepted("apps", "wrong-kind").subList(0, 2)).containsExactly("False", "Invalid");
            assertThat(accepted("apps", "no-route").subList(0, 2)).containsExactly("False", "TargetNotFound");
        });
        assertThat(lattice.getAuthPolicy(r -> r.resourceIdentifier(serviceArn)).policy()).contains(roleArn);
        for (String name : List.of("datastore-open", "not-json", "wrong-kind", "no-route")) {
            client.resources(IAMAuthPolicy.class).inNamespace("apps").withName(name).delete();
        }

        // deleting the policies: auth type NONE, no auth policy, unsigned calls answered again
        client.resources(IAMAuthPolicy.class).inNamespace("apps").withName("datastore-auth").delete();
        client.resources(IAMAuthPolicy.class).inNamespace("default").withName("network-auth").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(client.resources(IAMAuthPolicy.class).inAnyNamespace().list().getItems()).isEmpty();
            assertThat(lattice.getService(r -> r.serviceIdentifier(serviceArn)).authType()).isEqualTo(AuthType.NONE);
            assertThat(lattice.getServiceNetwork(r -> r.serviceNetworkIdentifier(networkId)).authType())
                    .isEqualTo(AuthType.NONE);
            assertThat(gateway.get("datastore.sarathy.io", "/popular")).isEqualTo("200 datastore v1 /popular");
        });
        assertThatThrownBy(() -> lattice.getAuthPolicy(r -> r.resourceIdentifier(serviceArn)))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> lattice.getAuthPolicy(r -> r.resourceIdentifier(networkId)))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    private List<String> accepted(String namespace, String name) {
        IAMAuthPolicy policy = client.resources(IAMAuthPolicy.class).inNamespace(namespace).withName(name).get();
        return PolicyTestSupport.conditionOf(policy.getStatus().getConditions());
    }

    private static IAMAuthPolicy policy(String namespace, String name, dev.trellis.controller.policy.TargetRef ref,
            String document) {
        IAMAuthPolicy policy = new IAMAuthPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        IAMAuthPolicy.Spec spec = new IAMAuthPolicy.Spec();
        spec.setTargetRef(ref);
        spec.setPolicy(document);
        policy.setSpec(spec);
        return policy;
    }

    private StaticCredentialsProvider adminCredentials() {
        IdentityDirectory.AdminCredentials admin = fixture.controlPlane.firstStartCredentials().orElseThrow();
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey()));
    }

    /**
     * A GET signed as the SigV4 proxy signs for Lattice (service {@code vpc-lattice-svcs}, unsigned payload), sent to the
     * gateway with the signed Host: "status body".
     */
    private String signedGet(String host, String path,
            software.amazon.awssdk.identity.spi.AwsCredentialsIdentity credentials) throws Exception {
        SdkHttpRequest request = SdkHttpRequest.builder().method(SdkHttpMethod.GET).protocol("https").host(host)
                .encodedPath(path).putHeader("x-amz-content-sha256", "UNSIGNED-PAYLOAD").build();
        var signed = AwsV4HttpSigner.create().sign(r -> r.identity(credentials).request(request)
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "vpc-lattice-svcs")
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-west-2")
                .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false)).request();
        StringBuilder head = new StringBuilder("GET " + path + " HTTP/1.1\r\nConnection: close\r\n");
        signed.headers().forEach((name, values) -> values.forEach(v -> head.append(name).append(": ").append(v).append("\r\n")));
        if (signed.headers().keySet().stream().noneMatch("Host"::equalsIgnoreCase)) {
            head.append("Host: ").append(host).append("\r\n");
        }
        head.append("\r\n");
        try (Socket socket = new Socket("127.0.0.1", gateway.httpPort())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return response.substring(response.indexOf(' ') + 1, response.indexOf(' ') + 4) + " "
                    + response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }
}
