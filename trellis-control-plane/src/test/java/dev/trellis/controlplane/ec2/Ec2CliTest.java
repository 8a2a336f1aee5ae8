package dev.trellis.controlplane.ec2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
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
 * {@code aws ec2 ...} (the AWS CLI) against a real control plane, with nothing but the profile the first start
 * wrote: {@code AWS_CONFIG_FILE=<data-dir>/aws-config aws --profile trellis ec2 create-vpc --cidr-block ...}.
 * Without {@code aws} on the PATH these tests fail, unless {@code TRELLIS_SKIP_AWS_CLI_TESTS=1}.
 */
class Ec2CliTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dataDir;
    private static ControlPlane controlPlane;

    @TempDir
    Path work;

    private record Run(int exitCode, String stdout, String stderr) {
        JsonNode json() throws IOException {
            return JSON.readTree(stdout.isBlank() ? "{}" : stdout);
        }
    }

    @BeforeAll
    static void start() throws InterruptedException {
        controlPlane = ControlPlane.start(new ControlPlane.Options(dataDir, "127.0.0.1", 0, "h2",
                ControlPlaneConfig.defaults("us-west-2", "111122223333")), Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        if (controlPlane != null) {
            controlPlane.close();
        }
    }

    @Test
    void createsDescribesTagsAndDeletesVpcsWithTheAdminsProfile() throws IOException {
        requireAwsCli();

        JsonNode a = ok("create-vpc", "--cidr-block", "10.0.0.0/16").get("Vpc");
        JsonNode b = ok("create-vpc", "--cidr-block", "10.0.0.0/16", "--tag-specifications",
                "ResourceType=vpc,Tags=[{Key=Name,Value=cluster-b}]").get("Vpc");
        String idA = a.get("VpcId").asText();
        String idB = b.get("VpcId").asText();

        assertThat(idA).matches("vpc-[0-9a-f]{17}");
        assertThat(a.get("State").asText()).isEqualTo("available");
        assertThat(a.get("CidrBlock").asText()).isEqualTo("10.0.0.0/16");
        assertThat(a.get("OwnerId").asText()).isEqualTo("111122223333");
        assertThat(a.get("IsDefault").asBoolean()).isFalse();
        assertThat(a.get("CidrBlockAssociationSet").get(0).get("CidrBlockState").get("State").asText())
                .isEqualTo("associated");
        assertThat(b.get("Tags").get(0).get("Value").asText()).isEqualTo("cluster-b");
        assertThat(ok("describe-vpcs", "--vpc-ids", idA, idB).get("Vpcs"))
                .extracting(v -> v.get("VpcId").asText()).containsExactly(idA, idB);
        assertThat(ok("describe-vpcs", "--filters", "Name=cidr,Values=10.0.0.0/16", "Name=tag:Name,Values=cluster-*")
                .get("Vpcs")).extracting(v -> v.get("VpcId").asText()).containsExactly(idB);

        ok("create-tags", "--resources", idA, "--tags", "Key=Name,Value=cluster-a");
        assertThat(ok("describe-vpcs", "--filters", "Name=tag-key,Values=Name").get("Vpcs"))
                .extracting(v -> v.get("VpcId").asText()).containsExactly(idA, idB);

        ok("delete-vpc", "--vpc-id", idA);
        Run gone = aws("describe-vpcs", "--vpc-ids", idA);
        assertThat(gone.exitCode()).isNotZero();
        assertThat(gone.stderr().strip()).isEqualTo("An error occurred (InvalidVpcID.NotFound) when calling the"
                + " DescribeVpcs operation: The vpc ID '" + idA + "' does not exist");
    }

    @Test
    void reportsEc2sErrorsAndDryRuns() throws IOException {
        requireAwsCli();

        assertThat(error("create-vpc", "--cidr-block", "10.0.0.0/8")).isEqualTo("An error occurred"
                + " (InvalidVpc.Range) when calling the CreateVpc operation: The CIDR '10.0.0.0/8' is invalid. A"
                + " VPC's netmask must be between /16 and /28.");
        assertThat(error("delete-vpc", "--vpc-id", "vpc-nope")).isEqualTo("An error occurred"
                + " (InvalidVpcID.Malformed) when calling the DeleteVpc operation: Invalid id: \"vpc-nope\""
                + " (expecting \"vpc-...\")");
        assertThat(error("create-vpc", "--cidr-block", "10.0.0.0/16", "--dry-run")).isEqualTo("An error occurred"
                + " (DryRunOperation) when calling the CreateVpc operation: Request would have succeeded, but DryRun"
                + " flag is set.");
    }

    private JsonNode ok(String... args) throws IOException {
        Run run = aws(args);
        assertThat(run.exitCode()).as("aws ec2 %s failed: %s", String.join(" ", args), run.stderr()).isZero();
        return run.json();
    }

    private String error(String... args) throws IOException {
        Run run = aws(args);
        assertThat(run.exitCode()).as("aws ec2 %s should fail", String.join(" ", args)).isNotZero();
        return run.stderr().strip();
    }

    /** Runs {@code aws --profile trellis --output json ec2 <args>} with only the admin's AWS config file. */
    private Run aws(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("aws", "--profile", ControlPlane.PROFILE, "--output", "json",
                "ec2"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        env.put("AWS_CONFIG_FILE", controlPlane.awsConfigFile().toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        env.put("AWS_MAX_ATTEMPTS", "1");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_PAGER", "");
        Path out = work.resolve("aws-out.json");
        Path err = work.resolve("aws-err.txt");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = builder.start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("aws ec2 " + String.join(" ", args) + " did not finish in 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private static void requireAwsCli() {
        boolean skip = "1".equals(System.getenv("TRELLIS_SKIP_AWS_CLI_TESTS"));
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "aws"))) {
                return;
            }
        }
        assumeFalse(skip, "the AWS CLI is not installed; skipped because TRELLIS_SKIP_AWS_CLI_TESTS=1");
        throw new AssertionError("the AWS CLI ('aws') is not on the PATH: install it (pip install awscli) or set"
                + " TRELLIS_SKIP_AWS_CLI_TESTS=1 to skip this test");
    }
}
