package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

class TrellisCommandTest {

    @Test
    void printsItsVersion() {
        CliTestSupport.Result result = CliTestSupport.run("--version");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).startsWith("trellis ").contains("Java ");
    }

    @Test
    void serverRejectsAnUnknownQuotaNamingTheKnownOnes() {
        CliTestSupport.Result result = CliTestSupport.run("server", "--quota", "services=5");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--quota: unknown quota 'services'; the quotas are"
                + " service-networks-per-region, services-per-region");
    }

    @Test
    void serverRejectsAMalformedAccountId() {
        CliTestSupport.Result result = CliTestSupport.run("server", "--account-id", "12345");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--account-id must be 12 digits, not '12345'");
    }

    @Test
    void everySubcommandHasHelpAndEveryOptionIsDescribed() {
        checkHelp(TrellisCommand.commandLine());
    }

    private static void checkHelp(CommandLine command) {
        CommandSpec spec = command.getCommandSpec();
        String qualified = spec.qualifiedName();
        if (!spec.name().equals("help")) {
            assertThat(spec.optionsMap()).as(qualified + " has --help").containsKey("--help");
            assertThat(spec.usageMessage().description()).as(qualified + " has a description").isNotEmpty();
        }
        for (OptionSpec option : spec.options()) {
            assertThat(String.join(" ", option.description()))
                    .as(qualified + " " + option.longestName() + " is described").isNotBlank();
        }
        command.getSubcommands().values().forEach(TrellisCommandTest::checkHelp);
    }
}
