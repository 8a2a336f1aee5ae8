package dev.trellis.controlplane.acm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.controlplane.store.TestStores;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ACM API driven by the AWS CLI (environment credentials of the bootstrapped admin, no config files,
 * {@code --endpoint-url}), as a user would: import with {@code fileb://}, request, describe, list, get, tag, delete,
 * and the errors the CLI prints.
 */
class AcmCliTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dataDir;

    static RunningControlPlane server;

    @TempDir
    Path work;

    /** What one CLI run printed and how it exited. */
    record Run(int exitCode, String stdout, String stderr) {
        JsonNode json() throws IOException {
            return JSON.readTree(stdout.isBlank() ? "{}" : stdout);
        }
    }

    @BeforeAll
    static void start() throws InterruptedException {
        server = RunningControlPlane.start(dataDir, TestStores.Kind.H2);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void importsRequestsDescribesListsAndDeletesCertificatesWithTheAwsCli() throws IOException {
        requireAwsCli();
        TestCertificates.Material datastore = TestCertificates.selfSigned(TestCertificates.RSA_A,
                "datastore.sarathy.io", "datastore.sarathy.io");
        Path certificate = write("datastore.crt", datastore.certificatePem());
        Path key = write("datastore.key", datastore.privateKeyPem());

        String imported = ok("import-certificate", "--certificate", "fileb://" + certificate, "--private-key",
                "fileb://" + key, "--tags", "Key=team,Value=data").json().get("CertificateArn").asText();
        String requested = ok("request-certificate", "--domain-name", "frontend.sarathy.io",
                "--subject-alternative-names", "frontend.sarathy.io", "www.sarathy.io", "--idempotency-token",
                "cli1").json().get("CertificateArn").asText();

        JsonNode detail = ok("describe-certificate", "--certificate-arn", imported).json().get("Certificate");
        assertThat(detail.get("DomainName").asText()).isEqualTo("datastore.sarathy.io");
        assertThat(detail.get("Type").asText()).isEqualTo("IMPORTED");
        assertThat(detail.get("Status").asText()).isEqualTo("ISSUED");
        assertThat(detail.get("KeyAlgorithm").asText()).isEqualTo("RSA_2048");
        assertThat(instant(detail.get("NotAfter"))).isEqualTo(datastore.certificate().getNotAfter().toInstant());
        JsonNode requestedDetail = ok("describe-certificate", "--certificate-arn", requested).json()
                .get("Certificate");
        assertThat(requestedDetail.get("Type").asText()).isEqualTo("PRIVATE");
        assertThat(requestedDetail.get("SubjectAlternativeNames")).extracting(JsonNode::asText)
                .containsExactly("frontend.sarathy.io", "www.sarathy.io");

        JsonNode list = ok("list-certificates", "--certificate-statuses", "ISSUED").json();
        assertThat(list.get("CertificateSummaryList")).extracting(s -> s.get("CertificateArn").asText())
                .contains(imported, requested);
        assertThat(ok("get-certificate", "--certificate-arn", requested).json().get("CertificateChain").asText())
                .isEqualTo(Files.readString(server.dataDir.resolve("ca.pem")));
        assertThat(ok("list-tags-for-certificate", "--certificate-arn", imported).json().get("Tags").get(0)
                .get("Value").asText()).isEqualTo("data");

        ok("delete-certificate", "--certificate-arn", imported);
        Run gone = aws("describe-certificate", "--certificate-arn", imported);
        assertThat(gone.exitCode()).isNotZero();
        assertThat(gone.stderr()).contains("An error occurred (ResourceNotFoundException) when calling the"
                + " DescribeCertificate operation: Could not find certificate " + imported);
    }

    @Test
    void theCliShowsWhyAnImportIsRefused() throws IOException {
        requireAwsCli();
        TestCertificates.Material datastore = TestCertificates.selfSigned(TestCertificates.RSA_A,
                "datastore.sarathy.io", "datastore.sarathy.io");
        TestCertificates.Material other = TestCertificates.selfSigned(TestCertificates.RSA_B, "other.sarathy.io");
        Path certificate = write("datastore.crt", datastore.certificatePem());
        Path wrongKey = write("other.key", other.privateKeyPem());

        Run refused = aws("import-certificate", "--certificate", "fileb://" + certificate, "--private-key",
                "fileb://" + wrongKey);
        Run badArn = aws("get-certificate", "--certificate-arn",
                "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012");

        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.stderr()).contains("An error occurred (ValidationException) when calling the"
                + " ImportCertificate operation: The private key does not match the certificate");
        assertThat(badArn.exitCode()).isNotZero();
        assertThat(badArn.stderr()).contains("(InvalidArnException) when calling the GetCertificate operation");
    }

    /** A timestamp as the CLI prints it: epoch seconds (AWS CLI v1's default) or ISO-8601 (v2's). */
    private static Instant instant(JsonNode value) {
        if (value.isNumber()) {
            return Instant.ofEpochMilli(Math.round(value.asDouble() * 1000));
        }
        return OffsetDateTime.parse(value.asText()).toInstant();
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(work.resolve(name), text);
    }

    private Run ok(String... args) throws IOException {
        Run run = aws(args);
        assertThat(run.exitCode()).as("aws acm %s failed: %s", String.join(" ", args), run.stderr()).isZero();
        return run;
    }

    /** Runs {@code aws --endpoint-url <server> acm <args>} with the admin's key in the environment. */
    private Run aws(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url",
                server.controlPlane.endpoint().toString(), "--output", "json", "acm"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        env.put("AWS_ACCESS_KEY_ID", server.admin.accessKeyId());
        env.put("AWS_SECRET_ACCESS_KEY", server.admin.secretAccessKey());
        env.put("AWS_DEFAULT_REGION", RunningControlPlane.REGION);
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
                throw new AssertionError("aws acm " + String.join(" ", args) + " did not finish in 60 s");
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
        boolean found = false;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
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
}
