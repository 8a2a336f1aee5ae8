package dev.trellis.controlplane.route53;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.TestVpcs;
import dev.trellis.controlplane.identity.IdentityDirectory;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AWS CLI against a real control plane, signed with the admin's key for the CLI's configured region (us-west-2,
 * the control plane's): the private zone of the walkthrough, its records, and the errors the CLI prints.
 */
class Route53CliTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private String vpcA;
    private String vpcB;

    @TempDir
    Path work;

    private ControlPlane controlPlane;
    private IdentityDirectory.AdminCredentials admin;

    private record Run(int exitCode, JsonNode json, String stderr) {
    }

    @BeforeEach
    void start() throws InterruptedException {
        requireAwsCli();
        controlPlane = ControlPlane.start(new ControlPlane.Options(work.resolve("data"), "127.0.0.1", 0, "h2",
                ControlPlaneConfig.defaults("us-west-2", "111122223333")), Clock.systemUTC());
        admin = controlPlane.firstStartCredentials().orElseThrow();
        vpcA = TestVpcs.create(controlPlane, admin);
        vpcB = TestVpcs.create(controlPlane, admin);
    }

    @AfterEach
    void stop() {
        if (controlPlane != null) {
            controlPlane.close();
        }
    }

    @Test
    void managesTheWalkthroughsPrivateZoneWithTheAwsCli() throws IOException {
        JsonNode created = ok("create-hosted-zone", "--name", "sarathy.io", "--vpc",
                "VPCRegion=us-west-2,VPCId=" + vpcB, "--caller-reference", "walkthrough-2024",
                "--hosted-zone-config", "Comment=custom domains,PrivateZone=true");
        String zoneId = created.get("HostedZone").get("Id").asText();
        assertThat(zoneId).matches("/hostedzone/Z[0-9A-Z]{20}");
        assertThat(created.get("HostedZone").get("Name").asText()).isEqualTo("sarathy.io.");
        assertThat(created.get("HostedZone").get("Config").get("PrivateZone").asBoolean()).isTrue();
        assertThat(created.get("ChangeInfo").get("Status").asText()).isEqualTo("INSYNC");
        assertThat(created.get("VPC").get("VPCId").asText()).isEqualTo(vpcB);
        assertThat(created.get("Location").asText()).endsWith("/2013-04-01/hostedzone/" + zoneId.substring(12));

        ok("associate-vpc-with-hosted-zone", "--hosted-zone-id", zoneId, "--vpc", "VPCRegion=us-west-2,VPCId="
                + vpcA);
        Path batch = work.resolve("datastore-cname.json");
        Files.writeString(batch, """
                {
                  "Comment": "custom domain of the datastore service",
                  "Changes": [{
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                      "Name": "datastore.sarathy.io",
                      "Type": "CNAME",
                      "TTL": 300,
                      "ResourceRecords": [{"Value": "datastore-0a1b2c3d4e5f60718.7d67968.vpc-lattice-svcs.us-west-2.on.aws"}]
                    }
                  }]
                }
                """);
        JsonNode changed = ok("change-resource-record-sets", "--hosted-zone-id", zoneId, "--change-batch",
                "file://" + batch);
        assertThat(changed.get("ChangeInfo").get("Comment").asText()).isEqualTo("custom domain of the datastore"
                + " service");
        String changeId = changed.get("ChangeInfo").get("Id").asText();
        assertThat(ok("get-change", "--id", changeId).get("ChangeInfo").get("Status").asText()).isEqualTo("INSYNC");

        JsonNode records = ok("list-resource-record-sets", "--hosted-zone-id", zoneId);
        List<String> listed = new ArrayList<>();
        records.get("ResourceRecordSets").forEach(r -> listed.add(r.get("Name").asText() + " " + r.get("Type")
                .asText()));
        assertThat(listed).containsExactly("sarathy.io. NS", "sarathy.io. SOA", "datastore.sarathy.io. CNAME");
        JsonNode zone = ok("get-hosted-zone", "--id", zoneId);
        assertThat(zone.get("VPCs")).hasSize(2);
        assertThat(zone.get("HostedZone").get("ResourceRecordSetCount").asInt()).isEqualTo(3);
        assertThat(ok("list-hosted-zones").get("HostedZones")).hasSize(1);

        Run again = aws("change-resource-record-sets", "--hosted-zone-id", zoneId, "--change-batch",
                "file://" + batch);
        assertThat(again.exitCode()).isNotZero();
        assertThat(again.stderr()).contains("An error occurred (InvalidChangeBatch) when calling the"
                + " ChangeResourceRecordSets operation: [Tried to create resource record set"
                + " [name='datastore.sarathy.io.', type='CNAME'] but it already exists]");

        Run notEmpty = aws("delete-hosted-zone", "--id", zoneId);
        assertThat(notEmpty.exitCode()).isNotZero();
        assertThat(notEmpty.stderr()).contains("(HostedZoneNotEmpty)");
        Files.writeString(batch, Files.readString(batch).replace("CREATE", "DELETE"));
        ok("change-resource-record-sets", "--hosted-zone-id", zoneId, "--change-batch", "file://" + batch);
        assertThat(ok("delete-hosted-zone", "--id", zoneId).get("ChangeInfo").get("Status").asText())
                .isEqualTo("INSYNC");

        Run gone = aws("get-hosted-zone", "--id", zoneId);
        assertThat(gone.stderr()).contains("An error occurred (NoSuchHostedZone) when calling the GetHostedZone"
                + " operation: No hosted zone found with ID: " + zoneId.substring(12));
        Run hostile = aws("create-hosted-zone", "--name", "sarathy.io", "--vpc", "VPCRegion=us-west-2,VPCId=vpc-1",
                "--caller-reference", "bad-vpc");
        assertThat(hostile.stderr()).contains("(InvalidVPCId)");
    }

    private JsonNode ok(String... args) throws IOException {
        Run run = aws(args);
        assertThat(run.exitCode()).as("aws route53 %s failed: %s", String.join(" ", args), run.stderr()).isZero();
        return run.json();
    }

    /** Runs {@code aws --endpoint-url <server> route53 <args>} with the admin's key in the environment. */
    private Run aws(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url", controlPlane.endpoint().toString(),
                "--output", "json", "route53"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        env.put("AWS_ACCESS_KEY_ID", admin.accessKeyId());
        env.put("AWS_SECRET_ACCESS_KEY", admin.secretAccessKey());
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
                throw new AssertionError("aws route53 " + String.join(" ", args) + " did not finish in 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        return new Run(process.exitValue(), JSON.readTree(stdout.isBlank() ? "{}" : stdout),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private static void requireAwsCli() {
        boolean skip = "1".equals(System.getenv("TRELLIS_SKIP_AWS_CLI_TESTS"));
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "aws"))) {
                return;
            }
        }
        assumeFalse(skip, "the AWS CLI is not installed; skipped because TRELLIS_SKIP_AWS_CLI_TESTS=1");
        throw new AssertionError("the AWS CLI ('aws') is not on the PATH: install it (apt-get install awscli)"
                + " or set TRELLIS_SKIP_AWS_CLI_TESTS=1 to skip this test");
    }
}
