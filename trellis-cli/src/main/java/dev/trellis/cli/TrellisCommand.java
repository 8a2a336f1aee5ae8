package dev.trellis.cli;

import dev.trellis.gateway.LeakDetection;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code trellis} command: every Trellis process and tool is one of its subcommands. */
@Command(
        name = "trellis",
        mixinStandardHelpOptions = true,
        versionProvider = TrellisCommand.Version.class,
        description = "Application networking in the Amazon VPC Lattice model: service networks, services,"
                + " routing, SigV4 authentication and IAM-style auth policies.",
        subcommands = {ServerCommand.class, GatewayCommand.class, Sigv4ProxyCommand.class, ExampleCommand.class,
            CaCertificateCommand.class, PolicyCommand.class,
            DemoCommand.class, UpCommand.class,
            ControllerCommand.class,
            InjectorCommand.class,
            CommandLine.HelpCommand.class})
public final class TrellisCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        LeakDetection.offUnlessConfigured();
        System.exit(commandLine().execute(args));
    }

    /** The command line with every subcommand registered; tests run it in-process. */
    public static CommandLine commandLine() {
        return new CommandLine(new TrellisCommand());
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Reads the version Maven wrote into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = TrellisCommand.class.getResourceAsStream("/trellis-version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {
                "trellis " + properties.getProperty("version", "unknown"),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"
            };
        }
    }
}
