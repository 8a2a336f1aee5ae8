package dev.trellis.controlplane.sts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.ReferenceFiles;
import dev.trellis.controlplane.identity.IdentityDirectory;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IAM and STS with the AWS CLI ({@code aws iam ...}, {@code aws sts ...} with {@code --endpoint-url}): the CLI signs
 * both with its configured region, decodes the URL-encoded policy documents IAM returns, and calls
 * {@code assume-role-with-web-identity} unsigned.
 */
class IamStsCliTest {

    private static final String ACCOUNT = "111122223333";
    private static final String ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/CLIEXAMPLE";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    private ControlPlane controlPlane;
    private IdentityDirectory.AdminCredentials admin;

    /** What a CLI run did: its exit status and outputs. */
    private record Run(int exit, String stdout, String stderr) {
        JsonNode json() throws IOException {
            return JSON.readTree(stdout.isBlank() ? "{}" : stdout);
        }
    }

    @BeforeEach
    void start() throws InterruptedException {
        requireAwsCli();
        controlPlane = ControlPlane.start(new ControlPlane.Options(work.resolve("data"), "127.0.0.1", 0, "h2",
                ControlPlaneConfig.defaults("us-west-2", ACCOUNT)), Clock.systemUTC());
        admin = controlPlane.firstStartCredentials().orElseThrow();
    }

    @AfterEach
    void stop() {
        if (controlPlane != null) {
            controlPlane.close();
        }
    }

    @Test
    void managesUsersRolesPoliciesAndProvidersAndAssumesRolesWithTheAwsCli() throws Exception {
        JsonNode user = aws("iam", "create-user", "--user-name", "cli-user", "--tags", "Key=team,Value=blue")
                .get("User");
        assertThat(user.get("Arn").asText()).isEqualTo("arn:aws:iam::" + ACCOUNT + ":user/cli-user");
        assertThat(aws("iam", "get-user", "--user-name", "cli-user").get("User").get("Tags").get(0).get("Value")
                .asText()).isEqualTo("blue");
        assertThat(aws("iam", "list-users").get("Users")).extracting(u -> u.get("UserName").asText())
                .containsExactly("admin", "cli-user");
        JsonNode key = aws("iam", "create-access-key", "--user-name", "cli-user").get("AccessKey");
        assertThat(key.get("AccessKeyId").asText()).startsWith("AKIA");

        Path clientPolicy = ReferenceFiles.resolve("seed/sample/lattice-client-policy.json");
        JsonNode policy = aws("iam", "create-policy", "--policy-name", "VPCLatticeClientPolicy",
                "--policy-document", "file://" + clientPolicy).get("Policy");
        String policyArn = policy.get("Arn").asText();
        assertThat(policyArn).isEqualTo("arn:aws:iam::" + ACCOUNT + ":policy/VPCLatticeClientPolicy");
        // The CLI decodes the URL-encoded document IAM returns into JSON.
        JsonNode version = aws("iam", "get-policy-version", "--policy-arn", policyArn, "--version-id", "v1")
                .get("PolicyVersion");
        assertThat(version.get("Document")).isEqualTo(JSON.readTree(Files.readString(clientPolicy)));

        Path trust = work.resolve("trust.json");
        Files.writeString(trust, "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\","
                + " \"Principal\": {\"AWS\": \"arn:aws:iam::" + ACCOUNT + ":root\"},"
                + " \"Action\": \"sts:AssumeRole\"}]}");
        JsonNode role = aws("iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document",
                "file://" + trust).get("Role");
        assertThat(role.get("AssumeRolePolicyDocument")).isEqualTo(JSON.readTree(Files.readString(trust)));
        aws("iam", "attach-role-policy", "--role-name", "cli-role", "--policy-arn", policyArn);
        assertThat(aws("iam", "list-attached-role-policies", "--role-name", "cli-role").get("AttachedPolicies")
                .get(0).get("PolicyName").asText()).isEqualTo("VPCLatticeClientPolicy");
        aws("iam", "put-role-policy", "--role-name", "cli-role", "--policy-name", "inline", "--policy-document",
                "file://" + clientPolicy);
        assertThat(aws("iam", "get-role-policy", "--role-name", "cli-role", "--policy-name", "inline")
                .get("PolicyDocument").get("Statement").get(0).get("Action").asText())
                .isEqualTo("vpc-lattice-svcs:Invoke");

        assertThat(aws("sts", "get-caller-identity").get("Arn").asText())
                .isEqualTo("arn:aws:iam::" + ACCOUNT + ":user/admin");
        JsonNode assumed = aws("sts", "assume-role", "--role-arn", role.get("Arn").asText(), "--role-session-name",
                "cli-session");
        assertThat(assumed.get("AssumedRoleUser").get("Arn").asText())
                .isEqualTo("arn:aws:sts::" + ACCOUNT + ":assumed-role/cli-role/cli-session");
        JsonNode credentials = assumed.get("Credentials");
        Run asRole = run(Map.of("AWS_ACCESS_KEY_ID", credentials.get("AccessKeyId").asText(),
                "AWS_SECRET_ACCESS_KEY", credentials.get("SecretAccessKey").asText(),
                "AWS_SESSION_TOKEN", credentials.get("SessionToken").asText()), "sts", "get-caller-identity");
        assertThat(asRole.exit()).as(asRole.stderr()).isZero();
        assertThat(asRole.json().get("Arn").asText()).endsWith(":assumed-role/cli-role/cli-session");

        Run missing = run(Map.of(), "iam", "get-user", "--user-name", "nobody");
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.stderr()).contains("(NoSuchEntity)").contains("The user with name nobody cannot be found.");
        Run malformed = run(Map.of(), "iam", "put-role-policy", "--role-name", "cli-role", "--policy-name", "bad",
                "--policy-document", "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\"}]}");
        assertThat(malformed.stderr()).contains("(MalformedPolicyDocument)")
                .contains("Statement[0]: missing Resource or NotResource");

        aws("iam", "delete-role-policy", "--role-name", "cli-role", "--policy-name", "inline");
        aws("iam", "detach-role-policy", "--role-name", "cli-role", "--policy-arn", policyArn);
        aws("iam", "delete-role", "--role-name", "cli-role");
        assertThat(aws("iam", "list-roles").get("Roles")).isEmpty();
    }

    @Test
    void registersAnOidcProviderAndAssumesARoleWithAWebIdentityTokenUnsigned() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyID("cli-key").generate();
        Path jwks = work.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString());
        JsonNode provider = aws("iam", "create-open-id-connect-provider", "--url", ISSUER, "--client-id-list",
                "sts.amazonaws.com", "--thumbprint-list", "9e99a48a9960b14926bb7f3b02e22da2b0ab7280",
                "--tags", "Key=trellis:jwks-uri,Value=" + jwks.toUri());
        String providerArn = provider.get("OpenIDConnectProviderArn").asText();
        assertThat(aws("iam", "list-open-id-connect-providers").get("OpenIDConnectProviderList").get(0)
                .get("Arn").asText()).isEqualTo(providerArn);
        assertThat(aws("iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", providerArn)
                .get("Url").asText()).isEqualTo(ISSUER.substring("https://".length()));

        String name = ISSUER.substring("https://".length());
        Path trust = work.resolve("irsa-trust.json");
        Files.writeString(trust, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Principal\":{\"Federated\":\"" + providerArn + "\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\","
                + "\"Condition\":{\"StringEquals\":{"
                + "\"" + name + ":sub\":\"system:serviceaccount:apps:aws-sigv4-client\","
                + "\"" + name + ":aud\":\"sts.amazonaws.com\"}}}]}");
        String roleArn = aws("iam", "create-role", "--role-name", "aws-sigv4-client",
                "--assume-role-policy-document", "file://" + trust).get("Role").get("Arn").asText();

        Instant now = Instant.now();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("cli-key").build(),
                new JWTClaimsSet.Builder().issuer(ISSUER).subject("system:serviceaccount:apps:aws-sigv4-client")
                        .audience("sts.amazonaws.com").issueTime(Date.from(now))
                        .expirationTime(Date.from(now.plusSeconds(3600))).build());
        jwt.sign(new RSASSASigner(key));
        // No credentials at all: the CLI sends this call unsigned, as STS serves it.
        Run assumed = run(Map.of("AWS_ACCESS_KEY_ID", "", "AWS_SECRET_ACCESS_KEY", ""), "sts",
                "assume-role-with-web-identity", "--role-arn", roleArn, "--role-session-name", "frontend",
                "--web-identity-token", jwt.serialize());
        assertThat(assumed.exit()).as(assumed.stderr()).isZero();
        assertThat(assumed.json().get("AssumedRoleUser").get("Arn").asText())
                .isEqualTo("arn:aws:sts::" + ACCOUNT + ":assumed-role/aws-sigv4-client/frontend");
        assertThat(assumed.json().get("SubjectFromWebIdentityToken").asText())
                .isEqualTo("system:serviceaccount:apps:aws-sigv4-client");

        Run refused = run(Map.of(), "sts", "assume-role-with-web-identity", "--role-arn", roleArn,
                "--role-session-name", "frontend", "--web-identity-token", jwt.serialize().replace('.', ','));
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.stderr()).contains("(InvalidIdentityToken)");

        aws("iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", providerArn);
        assertThat(aws("iam", "list-open-id-connect-providers").get("OpenIDConnectProviderList")).isEmpty();
    }

    private JsonNode aws(String service, String... args) throws IOException {
        Run run = run(Map.of(), service, args);
        assertThat(run.exit()).as("aws %s %s failed: %s", service, String.join(" ", args), run.stderr()).isZero();
        return run.json();
    }

    /** Runs the CLI as the admin, with {@code env} overriding its credentials. */
    private Run run(Map<String, String> env, String service, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url", controlPlane.endpoint().toString(),
                "--output", "json", service));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> environment = builder.environment();
        environment.keySet().removeIf(k -> k.startsWith("AWS_"));
        environment.put("AWS_ACCESS_KEY_ID", admin.accessKeyId());
        environment.put("AWS_SECRET_ACCESS_KEY", admin.secretAccessKey());
        environment.put("AWS_DEFAULT_REGION", "us-west-2");
        environment.put("AWS_CONFIG_FILE", "/dev/null");
        environment.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        environment.put("AWS_PAGER", "");
        env.forEach((k, v) -> {
            if (v.isEmpty()) {
                environment.remove(k);
            } else {
                environment.put(k, v);
            }
        });
        Path out = Files.createTempFile(work, "aws-out", ".json");
        Path err = Files.createTempFile(work, "aws-err", ".txt");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = builder.start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("aws " + service + " " + String.join(" ", args) + " did not finish in 60 s");
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
