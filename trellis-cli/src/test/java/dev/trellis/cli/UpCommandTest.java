package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.trellis.cli.lab.Isolation;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.ServiceNetworkSummary;

/**
 * {@code trellis up} as a user runs it — its own JVM — with two VPCs: the printed AWS profile works for a VPC Lattice
 * call, the printed way into a VPC leads to its gateway's address, and a signal removes everything.
 */
class UpCommandTest {

    private static final Pattern PROFILE = Pattern.compile("(?s)(\\[profile trellis\\]\n.*?)\n\n");
    private static final Pattern EXEC = Pattern.compile("run a command inside: (ip netns exec \\S+) <command>");
    private static final Pattern LOGS = Pattern.compile("Logs: (\\S+)/logs \\(removed on exit\\)");

    @TempDir
    Path dir;

    private Process up;

    @AfterEach
    void stop() throws InterruptedException {
        if (up != null && up.isAlive()) {
            up.destroyForcibly();
            up.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void twoVpcsInNamespacesAnswerThePrintedProfileAndSigintRemovesEverything() throws Exception {
        assumeTrue(Isolation.whyNamespacesUnavailable() == null, "network namespaces need root and iproute2");
        String printed = start("namespaces");

        assertTheProfileWorks(printed);
        Matcher exec = EXEC.matcher(printed);
        assertThat(exec.find()).as(printed).isTrue();
        List<String> command = new ArrayList<>(List.of(exec.group(1).split(" ")));
        command.addAll(List.of("ip", "-4", "-o", "addr", "show", "dev", "lo"));
        assertThat(LabLeftovers.run(command.toArray(String[]::new))).as("inside the VPC")
                .contains("inet 169.254.171.1/32");
        assertThat(exec.find()).as("a second VPC").isTrue();

        String ignored = Files.readAllLines(Path.of("/proc", String.valueOf(up.pid()), "status")).stream()
                .filter(l -> l.startsWith("SigIgn:")).findFirst().orElseThrow();
        assumeTrue((Long.parseLong(ignored.substring(7).strip(), 16) & 2) == 0,
                "this JVM was started with SIGINT ignored (a background job), and so is its child");
        LabLeftovers.run("kill", "-INT", String.valueOf(up.pid()));
        assertThat(up.waitFor(60, TimeUnit.SECONDS)).as("up stops on SIGINT").isTrue();
        assertThat(up.exitValue()).isEqualTo(130);
        assertNothingLeft(printed);
    }

    @Test
    void twoVpcsOnLoopbackAnswerThePrintedProfileAndSigtermRemovesEverything() throws Exception {
        String printed = start("loopback");

        assertTheProfileWorks(printed);
        assertThat(printed).contains("vpc-a: vpc-").contains("vpc-b: vpc-").contains("gateway 127.0.1.1")
                .contains("gateway 127.0.2.1");

        up.destroy();
        assertThat(up.waitFor(60, TimeUnit.SECONDS)).as("up stops on SIGTERM").isTrue();
        assertThat(up.exitValue()).isEqualTo(143);
        assertNothingLeft(printed);
    }

    @Test
    void aMalformedVpcIsRefused() {
        assertThat(CliTestSupport.run("up", "--vpc", "VPC A=10.0.0.0/24").err())
                .contains("--vpc must be NAME=CIDR (name: 1-20 of a-z, 0-9 and '-'; e.g. vpc-a=10.0.0.0/24), not"
                        + " 'VPC A=10.0.0.0/24'");
    }

    /** Starts {@code trellis up} with two overlapping VPCs and returns what it printed up to "Stop with". */
    private String start(String isolation) throws IOException {
        up = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), TrellisCommand.class.getName(), "up",
                "--vpc", "vpc-a=10.0.0.0/24", "--vpc", "vpc-b=10.0.0.0/24", "--isolation", isolation)
                .redirectError(dir.resolve("up.err").toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(up.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder printed = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            printed.append(line).append('\n');
            if (line.startsWith("Stop with")) {
                break;
            }
        }
        assertThat(printed.toString()).as("up did not start: " + Files.readString(dir.resolve("up.err")))
                .contains("Stop with Ctrl-C or SIGTERM");
        CompletableFuture.runAsync(() -> {
            try {
                while (out.readLine() != null) {
                    // keep the pipe drained
                }
            } catch (IOException e) {
                // ended
            }
        });
        return printed.toString();
    }

    /** The printed profile, as a user would save it, makes a VPC Lattice call that works. */
    private void assertTheProfileWorks(String printed) throws IOException {
        Matcher profile = PROFILE.matcher(printed);
        assertThat(profile.find()).as(printed).isTrue();
        Path config = dir.resolve("aws-config");
        Files.writeString(config, profile.group(1) + "\n");
        ProfileFile file = ProfileFile.builder().content(config).type(ProfileFile.Type.CONFIGURATION).build();
        String endpoint = file.profile("trellis").orElseThrow().property("endpoint_url").orElseThrow();
        try (VpcLatticeClient lattice = VpcLatticeClient.builder().endpointOverride(URI.create(endpoint))
                .region(Region.US_WEST_2).credentialsProvider(ProfileCredentialsProvider.builder()
                        .profileFile(file).profileName("trellis").build()).build()) {
            lattice.createServiceNetwork(r -> r.name("my-experiment"));
            assertThat(lattice.listServiceNetworks(r -> { }).items()).extracting(ServiceNetworkSummary::name)
                    .containsExactly("my-experiment");
        }
    }

    private void assertNothingLeft(String printed) throws Exception {
        Matcher logs = LOGS.matcher(printed);
        assertThat(logs.find()).as(printed).isTrue();
        LabLeftovers.assertNoneLeft("up", up.pid(), Path.of(logs.group(1)));
    }
}
