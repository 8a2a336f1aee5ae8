package dev.trellis.controlplane.lattice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.auth.Principal;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.ReferenceFiles;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.ec2.Ec2Service;
import dev.trellis.controlplane.http.ApiServer;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.TestStores;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walkthrough's VPC Lattice set-up (reference/seed: two VPCs with the same address range, the datastore service
 * behind the eks-lattice-network service network, canary rules, IAM auth with the sample policies) done with the
 * AWS CLI against Trellis.
 */
class LatticeCliWalkthroughTest {

    /** The account of the sample policies, so the service policy's ARN names this account. */
    private static final String ACCOUNT = "615847537300";
    /** The walkthrough's clusters use the same RFC 1918 range in both VPCs. */
    private static final String CLUSTER_CIDR = "192.168.0.0/16";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Store store;
    private static ApiServer server;

    @TempDir
    Path work;

    @BeforeAll
    static void start() throws InterruptedException {
        store = TestStores.h2();
        ControlPlaneConfig config = ControlPlaneConfig.defaults("us-west-2", ACCOUNT);
        LatticeService lattice = new LatticeService(store, config, Clock.systemUTC(), (caller, action, arn) -> { },
                LatticeOperations.all());
        Ec2Service ec2 = new Ec2Service(store, config, Clock.systemUTC(), (caller, action, arn) -> { },
                new LatticeVpcDependents());
        server = ApiServer.start("127.0.0.1", 0, (request, id) -> {
            Caller caller = new Caller(Principal.accountRoot("aws", ACCOUNT), ACCOUNT, id);
            String authorization = String.valueOf(request.header("Authorization"));
            return authorization.contains("/ec2/aws4_request") ? ec2.handle(request, caller)
                    : lattice.handle(request, caller);
        });
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    @Test
    void setsUpTheWalkthroughsDatastoreServiceWithTheAwsCli() throws IOException {
        requireAwsCli();
        Path networkPolicy = ReferenceFiles.resolve("seed/sample/lattice-service-network-policy.json");
        Path servicePolicyTemplate = ReferenceFiles.resolve("seed/sample/lattice-service-policy.json");

        String vpcA = cli("ec2", "create-vpc", "--cidr-block", CLUSTER_CIDR).get("Vpc").get("VpcId").asText();
        String vpcB = cli("ec2", "create-vpc", "--cidr-block", CLUSTER_CIDR).get("Vpc").get("VpcId").asText();
        assertThat(cli("ec2", "describe-vpcs", "--vpc-ids", vpcA, vpcB).get("Vpcs"))
                .extracting(v -> v.get("CidrBlock").asText()).containsExactly(CLUSTER_CIDR, CLUSTER_CIDR);

        JsonNode network = aws("create-service-network", "--name", "eks-lattice-network");
        String sn = network.get("id").asText();
        assertThat(network.get("arn").asText()).isEqualTo("arn:aws:vpc-lattice:us-west-2:" + ACCOUNT
                + ":servicenetwork/" + sn);
        assertThat(network.get("authType").asText()).isEqualTo("NONE");
        for (String vpc : List.of(vpcA, vpcB)) {
            JsonNode association = aws("create-service-network-vpc-association", "--service-network-identifier", sn,
                    "--vpc-identifier", vpc);
            assertThat(association.get("status").asText()).isEqualTo("ACTIVE");
        }

        assertThat(aws("update-service-network", "--service-network-identifier", sn, "--auth-type", "AWS_IAM")
                .get("authType").asText()).isEqualTo("AWS_IAM");
        JsonNode networkAuth = aws("put-auth-policy", "--resource-identifier", sn, "--policy",
                "file://" + networkPolicy);
        assertThat(networkAuth.get("state").asText()).isEqualTo("Active");
        assertThat(networkAuth.get("policy").asText()).isEqualTo(Files.readString(networkPolicy));

        JsonNode service = aws("create-service", "--name", "datastore", "--custom-domain-name",
                "datastore.sarathy.io");
        String svc = service.get("id").asText();
        assertThat(service.get("customDomainName").asText()).isEqualTo("datastore.sarathy.io");
        assertThat(service.get("dnsEntry").get("domainName").asText()).isEqualTo("datastore-" + svc.substring(4)
                + ".7d67968.vpc-lattice-svcs.us-west-2.on.aws");
        assertThat(service.get("status").asText()).isEqualTo("ACTIVE");

        String config = "{\"port\":3000,\"protocol\":\"HTTP\",\"protocolVersion\":\"HTTP1\",\"vpcIdentifier\":\""
                + vpcB + "\"}";
        String v1 = aws("create-target-group", "--name", "datastore-v1", "--type", "IP", "--config", config)
                .get("id").asText();
        JsonNode v2Group = aws("create-target-group", "--name", "datastore-v2", "--type", "IP", "--config", config);
        String v2 = v2Group.get("id").asText();
        assertThat(v2Group.get("config").get("healthCheck").get("path").asText()).isEqualTo("/");
        JsonNode registered = aws("register-targets", "--target-group-identifier", v1, "--targets",
                "id=192.168.10.21,port=3000", "id=192.168.10.22,port=3000");
        assertThat(registered.get("successful")).hasSize(2);
        aws("register-targets", "--target-group-identifier", v2, "--targets", "id=192.168.10.31,port=3000");

        JsonNode listener = aws("create-listener", "--service-identifier", svc, "--name", "http", "--protocol",
                "HTTP", "--port", "80", "--default-action", "{\"fixedResponse\":{\"statusCode\":404}}");
        String http = listener.get("id").asText();
        assertThat(listener.get("defaultAction").get("fixedResponse").get("statusCode").asInt()).isEqualTo(404);

        JsonNode popular = aws("create-rule", "--service-identifier", svc, "--listener-identifier", http,
                "--name", "popular", "--priority", "1",
                "--match", "{\"httpMatch\":{\"pathMatch\":{\"match\":{\"prefix\":\"/popular\"}}}}",
                "--action", "{\"forward\":{\"targetGroups\":[{\"targetGroupIdentifier\":\"" + v1 + "\"}]}}");
        assertThat(popular.get("action").get("forward").get("targetGroups").get(0).get("weight").asInt())
                .isEqualTo(100);
        JsonNode summary = aws("create-rule", "--service-identifier", svc, "--listener-identifier", http,
                "--name", "summary", "--priority", "2",
                "--match", "{\"httpMatch\":{\"pathMatch\":{\"match\":{\"prefix\":\"/summary\"}}}}",
                "--action", "{\"forward\":{\"targetGroups\":[{\"targetGroupIdentifier\":\"" + v1
                        + "\",\"weight\":50},{\"targetGroupIdentifier\":\"" + v2 + "\",\"weight\":50}]}}");
        assertThat(summary.get("action").get("forward").get("targetGroups")).extracting(g -> g.get("weight")
                .asInt()).containsExactly(50, 50);

        JsonNode association = aws("create-service-network-service-association", "--service-identifier", svc,
                "--service-network-identifier", sn);
        assertThat(association.get("status").asText()).isEqualTo("ACTIVE");
        assertThat(association.get("customDomainName").asText()).isEqualTo("datastore.sarathy.io");

        assertThat(aws("update-service", "--service-identifier", svc, "--auth-type", "AWS_IAM").get("authType")
                .asText()).isEqualTo("AWS_IAM");
        String servicePolicy = Files.readString(servicePolicyTemplate)
                .replace("svc-0891088e6cc27c501", svc)
                .replace("vpc-027baaaf7156c6075", vpcA);
        Path servicePolicyFile = work.resolve("lattice-service-policy.json");
        Files.writeString(servicePolicyFile, servicePolicy);
        JsonNode serviceAuth = aws("put-auth-policy", "--resource-identifier", svc, "--policy",
                "file://" + servicePolicyFile);
        assertThat(serviceAuth.get("state").asText()).isEqualTo("Active");
        assertThat(serviceAuth.get("policy").asText()).contains("service/" + svc + "/*");

        JsonNode rules = aws("list-rules", "--service-identifier", svc, "--listener-identifier", http);
        assertThat(rules.get("items")).extracting(r -> r.get("name").asText() + ":" + r.get("isDefault").asBoolean())
                .containsExactly("popular:false", "summary:false", "default:true");
        JsonNode group = aws("get-target-group", "--target-group-identifier", v2);
        assertThat(group.get("serviceArns").get(0).asText()).isEqualTo(service.get("arn").asText());
        JsonNode targets = aws("list-targets", "--target-group-identifier", v1);
        assertThat(targets.get("items")).extracting(t -> t.get("status").asText()).containsOnly("INITIAL");
        JsonNode got = aws("get-service-network", "--service-network-identifier", sn);
        assertThat(got.get("numberOfAssociatedServices").asInt()).isEqualTo(1);
        assertThat(got.get("numberOfAssociatedVPCs").asInt()).isEqualTo(2);
    }

    private static void requireAwsCli() {
        boolean skip = "1".equals(System.getenv("TRELLIS_SKIP_AWS_CLI_TESTS"));
        boolean found = false;
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "aws"))) {
                found = true;
                break;
            }
        }
        if (!found) {
            assumeFalse(skip, "the AWS CLI is not installed; skipped because TRELLIS_SKIP_AWS_CLI_TESTS=1");
            throw new AssertionError("the AWS CLI ('aws') is not on the PATH: install it (apt-get install awscli)"
                    + " or set TRELLIS_SKIP_AWS_CLI_TESTS=1 to skip this test");
        }
    }

    /** Runs {@code aws --endpoint-url <server> vpc-lattice <args>} and returns its JSON output. */
    private JsonNode aws(String... args) throws IOException {
        return cli("vpc-lattice", args);
    }

    /** Runs {@code aws --endpoint-url <server> <service> <args>} and returns its JSON output. */
    private JsonNode cli(String service, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url",
                "http://127.0.0.1:" + server.port(), "--output", "json", service));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        env.put("AWS_ACCESS_KEY_ID", "AKIDWALKTHROUGH");
        env.put("AWS_SECRET_ACCESS_KEY", "walkthrough-secret");
        env.put("AWS_DEFAULT_REGION", "us-west-2");
        env.put("AWS_CONFIG_FILE", "/dev/null");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        env.put("AWS_PAGER", "");
        Path out = work.resolve("aws-out.json");
        Path err = work.resolve("aws-err.txt");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = builder.start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("aws " + String.join(" ", args) + " did not finish in 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("aws %s failed: %s", String.join(" ", args),
                Files.readString(err, StandardCharsets.UTF_8)).isZero();
        return JSON.readTree(stdout.isBlank() ? "{}" : stdout);
    }
}
