package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyCommandTest {

    @Test
    void walkthroughAllowsOnlyTheClientRoleFromItsVpc() {
        CliTestSupport.Result result = CliTestSupport.run("policy", "check", "--walkthrough");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out())
                .contains("GET /summary by frontend (role aws-sigv4-client) from its own VPC:\n  ALLOW")
                .contains("GET /summary by an unsigned (anonymous) request:\n  DENY: no service-based policy allows it")
                .contains("DENY: no identity-based policy allows it")
                .contains("1 of 5 callers allowed");
    }

    @Test
    void validatesTheWalkthroughPoliciesFromTheReferenceFolder() {
        CliTestSupport.Result auth = CliTestSupport.run("policy", "validate",
                CliTestSupport.reference("seed/sample/lattice-service-network-policy.json").toString(),
                CliTestSupport.reference("seed/sample/lattice-service-policy.json").toString());
        CliTestSupport.Result identity = CliTestSupport.run("policy", "validate", "--kind", "identity",
                CliTestSupport.reference("seed/sample/lattice-client-policy.json").toString());

        assertThat(auth.exitCode()).isZero();
        assertThat(auth.out()).contains("lattice-service-policy.json: valid auth policy, 1 statement(s)");
        assertThat(identity.exitCode()).isZero();
    }

    @Test
    void reportsWhereAPolicyIsWrong(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                + "\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\","
                + "\"Condition\":{\"StringEqualz\":{\"aws:PrincipalType\":\"Anonymous\"}}}]}");

        CliTestSupport.Result result = CliTestSupport.run("policy", "validate", bad.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).contains("bad.json: Statement[0].Condition: unknown operator StringEqualz");
    }

    @Test
    void checksOneRequestAgainstTheReferencePolicies() {
        String serviceArn = "arn:aws:vpc-lattice:us-west-2:615847537300:service/svc-0891088e6cc27c501";
        String[] base = {"policy", "check", "--service-arn", serviceArn,
            "--network-policy", CliTestSupport.reference("seed/sample/lattice-service-network-policy.json").toString(),
            "--service-policy", CliTestSupport.reference("seed/sample/lattice-service-policy.json").toString(),
            "--identity-policy", CliTestSupport.reference("seed/sample/lattice-client-policy.json").toString(),
            "--principal", "arn:aws:iam::615847537300:role/aws-sigv4-client", "--path", "/popular"};

        CliTestSupport.Result allowed = CliTestSupport.run(concat(base, "--source-vpc", "vpc-027baaaf7156c6075"));
        CliTestSupport.Result denied = CliTestSupport.run(concat(base, "--source-vpc", "vpc-0aaaaaaaaaaaaaaaa"));

        assertThat(allowed.exitCode()).isZero();
        assertThat(allowed.out()).isEqualTo("ALLOW\n");
        assertThat(denied.exitCode()).isEqualTo(PolicyCommand.DENIED);
        assertThat(denied.out()).contains("403 AccessDeniedException: User: arn:aws:sts::615847537300:assumed-role/"
                + "aws-sigv4-client/trellis-cli is not authorized to perform: vpc-lattice-svcs:Invoke on resource: "
                + serviceArn + "/popular because no service-based policy allows the vpc-lattice-svcs:Invoke action");
    }

    @Test
    void rejectsAnUnknownPrincipalForm() {
        CliTestSupport.Result result = CliTestSupport.run("policy", "check", "--service-arn",
                "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdef0", "--principal", "bob");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("--principal must be 'anonymous' or an IAM or STS ARN, not 'bob'");
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
