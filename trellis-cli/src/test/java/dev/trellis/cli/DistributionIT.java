package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;

/**
 * The shaded {@code trellis.jar} as users run it ({@code java -jar}), after {@code package}: the unit tests run on
 * the test class path, which holds test-scoped libraries the distribution does not, so a library missing from the
 * jar (an HTTP client the AWS SDK finds by service loading, a shaded-away service file) passes every other test and
 * fails only here.
 */
class DistributionIT {

    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private ServerProcess controlPlane;

    @BeforeEach
    void startControlPlane() throws IOException {
        controlPlane = ServerProcess.start(launcher(), dir.resolve("cp"), "h2", "127.0.0.1");
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (Process process : processes) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
    }

    @Test
    void theJarReportsItsVersion() throws Exception {
        Process version = new ProcessBuilder(command("--version")).redirectErrorStream(true).start();
        String out = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(version.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(version.exitValue()).isZero();
        assertThat(out).startsWith("trellis ");
    }

    /**
     * Every subcommand's help from the jar: a subcommand whose classes the jar lacks fails here (the controller's
     * VPC Lattice client was once test-scoped in trellis-cli, so only the test class path had it).
     */
    @Test
    void everySubcommandLoadsFromTheJar() throws Exception {
        for (String subcommand : new String[] {"server", "gateway", "sigv4-proxy", "controller", "injector", "demo",
                "up", "example", "policy", "ca-certificate"}) {
            Process help = new ProcessBuilder(command(subcommand, "--help")).redirectErrorStream(true).start();
            String out = new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(help.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(help.exitValue()).as(subcommand + ": " + out).isZero();
            assertThat(out).as(subcommand).startsWith("Usage: trellis " + subcommand);
        }
    }

    /**
     * The README's main command from the distribution: {@code trellis demo} starts every part as a child of the jar
     * it came from, so this is the run that shows the jar holds all they need (DemoCommandTest runs the same
     * scenario from the test class path and checks each claim). Loopback, so it runs without root too.
     */
    @Test
    void theDemoRunsFromTheJar() throws Exception {
        Path output = dir.resolve("demo.out");
        Process demo = new ProcessBuilder(command("demo", "--isolation", "loopback", "--requests", "10"))
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        processes.add(demo);
        assertThat(demo.waitFor(240, TimeUnit.SECONDS)).as("the demo finished within 4 minutes").isTrue();
        String printed = Files.readString(output);
        assertThat(demo.exitValue()).as(printed).isZero();
        assertThat(printed).contains("/popular      10     0", "HTTP 403 AccessDeniedException", "Walkthrough done in");
    }

    /**
     * {@code sigv4-proxy --role-arn} from the jar: the proxy builds an STS client (which needs an HTTP client on the
     * jar's class path), assumes a role with the admin's keys, and signs with the role session. The control plane
     * itself is the upstream (signing name {@code vpc-lattice}), so its answers show who signed: the role may list
     * service networks and nothing else.
     */
    @Test
    void theSigningProxyAssumesARoleAndSignsWithItsSession() throws Exception {
        StaticCredentialsProvider admin = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(controlPlane.accessKeyId(), controlPlane.secretAccessKey()));
        String roleArn;
        try (IamClient iam = IamClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.AWS_GLOBAL)
                .credentialsProvider(admin).build()) {
            String adminArn = iam.getUser(r -> { }).user().arn();
            roleArn = iam.createRole(r -> r.roleName("list-only").assumeRolePolicyDocument(
                    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\""
                            + adminArn + "\"},\"Action\":\"sts:AssumeRole\"}]}")).role().arn();
            iam.putRolePolicy(r -> r.roleName("list-only").policyName("list").policyDocument(
                    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                            + "\"Action\":\"vpc-lattice:ListServiceNetworks\",\"Resource\":\"*\"}]}"));
        }

        ProcessBuilder builder = new ProcessBuilder(command("sigv4-proxy", "--port", "127.0.0.1:0",
                "--name", "vpc-lattice", "--region", "us-west-2", "--upstream-url-scheme", "http",
                "--host", controlPlane.endpoint().getAuthority(), "--role-arn", roleArn,
                "--sts-endpoint", controlPlane.endpoint().toString()))
                .redirectError(dir.resolve("proxy.log").toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        env.put("AWS_ACCESS_KEY_ID", controlPlane.accessKeyId());
        env.put("AWS_SECRET_ACCESS_KEY", controlPlane.secretAccessKey());
        env.put("AWS_ROLE_SESSION_NAME", "distribution-check");
        env.put("AWS_CONFIG_FILE", dir.resolve("no-config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", dir.resolve("no-credentials").toString());
        Process proxy = builder.start();
        processes.add(proxy);
        int port = listeningPort(proxy, dir.resolve("proxy.log"));

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> list = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/servicenetworks")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        assertThat(list.body()).contains("\"items\"");

        HttpResponse<String> create = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/servicenetworks"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"not-allowed\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(create.statusCode()).isEqualTo(403);
        assertThat(create.body()).contains("assumed-role/list-only/distribution-check")
                .contains("vpc-lattice:CreateServiceNetwork");
    }

    /** Reads the process's standard output up to its "Stop with" line; the port it printed. */
    private static int listeningPort(Process process, Path log) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null) {
            lines.add(line);
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
        }
        throw new IllegalStateException("the process did not start: " + String.join("\n", lines) + "\n"
                + Files.readString(log));
    }

    private static List<String> launcher() {
        String jar = System.getProperty("trellis.jar");
        assertThat(jar).as("failsafe passes -Dtrellis.jar").isNotNull();
        assertThat(Path.of(jar)).exists();
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar", jar);
    }

    private static List<String> command(String... arguments) {
        List<String> command = new ArrayList<>(launcher());
        command.addAll(List.of(arguments));
        return command;
    }
}
