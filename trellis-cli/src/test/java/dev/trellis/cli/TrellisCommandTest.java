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
