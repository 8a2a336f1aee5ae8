package dev.trellis.cli;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trellis server}: the control plane. */
@Command(
        name = "server",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the control plane: the AWS VPC Lattice API (wire-compatible: the AWS CLI and SDKs work against it"
                + " with an endpoint override), every call SigV4-signed and authorized by the caller's identity"
                + " policies.",
            "The first start creates the account's admin user and writes its profile to <data-dir>/aws-config"
                + " (readable by the owner only), and prints it once. SIGTERM stops it cleanly: calls in flight"
                + " finish, then the store is closed."
        })
final class ServerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--data-dir", defaultValue = "data",
            description = "Directory for the embedded store and the admin's AWS config. Default: ${DEFAULT-VALUE}.")
    Path dataDir;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to listen on (0.0.0.0 for every interface). Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", defaultValue = "8080",
            description = "Port to listen on (0 picks a free one). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--store", defaultValue = "h2",
            description = "Where state lives: h2 (an embedded database file in the data directory) or a PostgreSQL"
                    + " JDBC URL such as jdbc:postgresql://db:5432/trellis?user=trellis&password=... ."
                    + " Default: ${DEFAULT-VALUE}.")
    String store;

    @Option(names = "--region", defaultValue = "us-west-2",
            description = "The AWS region this control plane is (ARNs, SigV4 scope, DNS names)."
                    + " Default: ${DEFAULT-VALUE}.")
    String region;

    @Option(names = "--account-id", defaultValue = "123456789012",
            description = "The 12-digit account the first start creates. Default: ${DEFAULT-VALUE}.")
    String accountId;

    @Option(names = "--dns-suffix",
            description = "Suffix of generated service names <name>-<id>.<suffix>."
                    + " Default: 7d67968.vpc-lattice-svcs.<region>.on.aws, as VPC Lattice's.")
    String dnsSuffix;

    @Option(names = "--quota", paramLabel = "NAME=VALUE",
            description = "Raise or lower one of VPC Lattice's default quotas (repeatable): service-networks-per-region"
                    + " (50), services-per-region (2000), listeners-per-service (2), rules-per-listener (10),"
                    + " target-groups-per-region (500), target-groups-per-service (10), targets-per-target-group"
                    + " (1000), service-associations-per-service-network (500),"
                    + " vpc-associations-per-service-network (500).")
    java.util.Map<String, Integer> quotas = new java.util.LinkedHashMap<>();

    @Override
    public Integer call() throws InterruptedException {
        if (!accountId.matches("[0-9]{12}")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--account-id must be 12 digits, not '" + accountId + "'");
        }
        ControlPlaneConfig.Quotas limits = ControlPlaneConfig.Quotas.LATTICE_DEFAULTS;
        try {
            for (var quota : quotas.entrySet()) {
                limits = limits.with(quota.getKey(), quota.getValue());
            }
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--quota: " + e.getMessage());
        }
        ControlPlaneConfig config = new ControlPlaneConfig("aws", region, accountId,
                dnsSuffix != null ? dnsSuffix : ControlPlaneConfig.defaultDnsSuffix(region), limits);
        PrintWriter out = spec.commandLine().getOut();
        ControlPlane controlPlane = ControlPlane.start(
                new ControlPlane.Options(dataDir, host, port, store, config), Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            controlPlane.close();
            stopped.countDown();
        }, "trellis-shutdown"));

        out.println("Trellis control plane listening on " + controlPlane.endpoint()
                + " (account " + accountId + ", region " + region + ", store " + controlPlane.store().describe()
                + ")");
        controlPlane.firstStartCredentials().ifPresent(admin -> {
            out.println();
            out.println("First start: created the admin user. Its AWS profile (saved in "
                    + controlPlane.awsConfigFile() + ", shown only now):");
            out.println();
            out.print(ControlPlane.profile(admin, region, controlPlane.endpoint()));
            out.println();
            out.println("Try it:");
            out.println("  export AWS_CONFIG_FILE=" + controlPlane.awsConfigFile().toAbsolutePath());
            out.println("  aws --profile " + ControlPlane.PROFILE + " vpc-lattice list-service-networks");
        });
        out.println();
        out.println("Stop with Ctrl-C or SIGTERM.");
        out.flush();
        stopped.await();
        return 0;
    }
}
