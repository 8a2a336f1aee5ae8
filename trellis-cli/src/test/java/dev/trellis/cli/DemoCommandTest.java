package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.trellis.cli.lab.Isolation;
import dev.trellis.cli.lab.Lab;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code trellis demo} end to end, called in-process through the same picocli command line a user runs (so the test
 * needs no packaged jar: {@code mvn test} runs before {@code package}; the children run from this JVM's class path),
 * asserting every claim the demo prints and that nothing it made is left behind.
 */
class DemoCommandTest {

    private static final Pattern POPULAR = Pattern.compile("(?m)^ +/popular +(\\d+) +(\\d+)$");
    private static final Pattern SUMMARY = Pattern.compile("(?m)^ +/summary +(\\d+) +(\\d+)$");
    private static final Pattern REFUSED = Pattern.compile("unsigned GET https://datastore\\.sarathy\\.io/summary"
            + " from VPC-A: HTTP 403 AccessDeniedException: User: anonymous is not authorized to perform:"
            + " vpc-lattice-svcs:Invoke on resource: (arn:aws:vpc-lattice:us-west-2:\\d{12}:service/svc-[0-9a-f]{17})"
            + "/summary because no service-based policy allows the vpc-lattice-svcs:Invoke action\n");
    private static final Pattern WORK_DIR = Pattern.compile("Work directory (\\S+) \\(removed at the end\\)");

    @Test
    void theWalkthroughRunsInNetworkNamespacesAndLeavesNothingBehind() throws Exception {
        assumeTrue(Isolation.whyNamespacesUnavailable() == null, "network namespaces need root and iproute2");

        CliTestSupport.Result result = CliTestSupport.run("demo", "--isolation", "namespaces", "--requests", "40");

        assertClaims(result, 40, "169.254.171.1:443");
        assertThat(result.out()).contains("each VPC a network namespace with the same addresses (the overlap is"
                + " real)");
        assertNothingLeftBehind(result);
    }

    @Test
    void theWalkthroughRunsOnLoopbackAddressesAnywhereAndSaysTheOverlapIsSimulated() throws Exception {
        CliTestSupport.Result result = CliTestSupport.run("demo", "--isolation", "loopback", "--requests", "40");

        assertClaims(result, 40, "127.0.3.1:");
        assertThat(result.out()).contains("each VPC a block of loopback addresses")
                .contains("the overlap of the VPCs' CIDRs is simulated");
        assertNothingLeftBehind(result);
    }

    @Test
    void aStepThatFailsIsNamedAndEverythingIsStillRemoved() throws Exception {
        // A PostgreSQL that is not there: the datastores cannot start, which step 3 finds.
        CliTestSupport.Result result = CliTestSupport.run("demo", "--isolation", "loopback",
                "--postgres", "jdbc:postgresql://127.0.0.1:1/shop?user=app&password=secret");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("step 3 (datastore) failed: datastore-v1 exited with status 1: ")
                .doesNotContain("secret");
        assertNothingLeftBehind(result);
    }

    @Test
    void badOptionsAreRefusedBeforeAnythingStarts() {
        assertThat(CliTestSupport.run("demo", "--requests", "0").err())
                .contains("--requests must be 1-10000, not 0");
        assertThat(CliTestSupport.run("demo", "--isolation", "vms").err())
                .contains("--isolation must be auto, namespaces or loopback, not 'vms'");
        assertThat(CliTestSupport.run("demo", "--postgres", "postgres://x").err())
                .contains("--postgres must look like jdbc:postgresql://HOST[:PORT]/DATABASE");
    }

    private static void assertClaims(CliTestSupport.Result result, int requests, String outsiderGateway) {
        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        for (int step = 1; step <= 7; step++) {
            assertThat(result.out()).contains("[" + step + "/7] ");
        }
        Matcher popular = POPULAR.matcher(result.out());
        assertThat(popular.find()).as(result.out()).isTrue();
        assertThat(Integer.parseInt(popular.group(1))).as("/popular by v1").isEqualTo(requests);
        assertThat(Integer.parseInt(popular.group(2))).as("/popular by v2").isZero();

        Matcher summary = SUMMARY.matcher(result.out());
        assertThat(summary.find()).as(result.out()).isTrue();
        int v1 = Integer.parseInt(summary.group(1));
        int v2 = Integer.parseInt(summary.group(2));
        assertThat(v1 + v2).isEqualTo(requests);
        // Each count is Binomial(40, 0.5) if the gateway picks at random by weight (mean 20, standard deviation
        // sqrt(40 * 0.25) = 3.16): within 5 standard deviations means 5..35. P(|X - 20| > 15) = 2 * P(X <= 4)
        // = 2 * 102,091 / 2^40 = 1.9e-7, so this fails falsely about once in five million runs.
        assertThat(v1).as("/summary by v1").isBetween(5, 35);
        assertThat(v2).as("/summary by v2").isBetween(5, 35);

        Matcher refused = REFUSED.matcher(result.out());
        assertThat(refused.find()).as(result.out()).isTrue();

        assertThat(result.out()).containsPattern("from VPC-C \\(not in the network\\): DNS NXDOMAIN; HTTPS to"
                + " VPC-C's gateway " + Pattern.quote(outsiderGateway) + "\\d*: connection refused\n");
        assertThat(result.out()).containsPattern("Walkthrough done in \\d+\\.\\d s\\.");
    }

    /** No namespace, /etc/netns entry, interface, process or work directory of this JVM's labs is left. */
    private static void assertNothingLeftBehind(CliTestSupport.Result result) throws Exception {
        long pid = ProcessHandle.current().pid();
        String namespacePrefix = "trellis-t" + (pid % 1_000_000);
        assertThat(run("ip", "netns", "list")).doesNotContain(namespacePrefix);
        if (Files.isDirectory(Path.of("/etc/netns"))) {
            try (Stream<Path> entries = Files.list(Path.of("/etc/netns"))) {
                assertThat(entries.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(namespacePrefix));
            }
        }
        assertThat(run("ip", "-o", "link", "show")).doesNotContainPattern(": t" + (pid % 1_000_000) + "[a-z]");
        assertThat(processesOfThisJvmsLabs(pid)).isEmpty();
        Matcher workDir = WORK_DIR.matcher(result.out());
        assertThat(workDir.find()).as(result.out()).isTrue();
        assertThat(Path.of(workDir.group(1))).doesNotExist();
    }

    /** Processes whose environment has {@code TRELLIS_LAB_RUN=demo-<pid>-...}, by a scan of /proc. */
    private static List<String> processesOfThisJvmsLabs(long pid) throws IOException {
        byte[] marker = (Lab.RUN_VARIABLE + "=demo-" + pid + "-").getBytes(StandardCharsets.UTF_8);
        List<String> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path entry : entries.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                byte[] environment;
                try {
                    environment = Files.readAllBytes(entry.resolve("environ"));
                } catch (IOException e) {
                    continue; // gone meanwhile, or not ours to read
                }
                if (indexOf(environment, marker) >= 0) {
                    found.add(entry.getFileName() + " " + new String(Files.readAllBytes(entry.resolve("cmdline")),
                            StandardCharsets.UTF_8).replace('\0', ' '));
                }
            }
        }
        return found;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        return output;
    }
}
