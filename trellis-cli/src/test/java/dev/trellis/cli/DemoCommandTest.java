package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.trellis.cli.lab.Isolation;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
        if (Isolation.whyNamespacesUnavailable() == null) {
            assertThat(CliTestSupport.run("demo", "--isolation", "namespaces", "--postgres",
                    "jdbc:postgresql://127.0.0.1/shop?user=app").err())
                    .contains("--postgres: 127.0.0.1 inside VPC-B's namespace is VPC-B's own loopback");
        }
        assertThat(CliTestSupport.run("demo", "--isolation", "loopback", "--data-dir", "pom.xml").err())
                .contains("trellis demo: cannot make the work directory: ");
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

    private static void assertNothingLeftBehind(CliTestSupport.Result result) throws Exception {
        Matcher workDir = WORK_DIR.matcher(result.out());
        assertThat(workDir.find()).as(result.out()).isTrue();
        LabLeftovers.assertNoneLeft("demo", ProcessHandle.current().pid(), Path.of(workDir.group(1)));
    }
}
