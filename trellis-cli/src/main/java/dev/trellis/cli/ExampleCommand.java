package dev.trellis.cli;

import dev.trellis.examples.DatabaseSettings;
import dev.trellis.examples.Datastore;
import dev.trellis.examples.Frontend;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trellis example datastore|frontend}: the walkthrough's demo apps (module trellis-examples). */
@Command(
        name = "example",
        mixinStandardHelpOptions = true,
        description = {
            "Runs one of the walkthrough's demo apps (docs/examples.md): the datastore service, backed by PostgreSQL"
                + " or an embedded database, and the frontend that calls it through VPC Lattice.",
            "Both print 'listening on http://<host>:<port>' on standard output once they serve, log one line per"
                + " request on standard error, and stop gracefully on Ctrl-C or SIGTERM."
        },
        subcommands = {ExampleCommand.DatastoreCommand.class, ExampleCommand.FrontendCommand.class})
final class ExampleCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(
            name = "datastore",
            description = {
                "The datastore service: GET /popular (best-selling books), GET /summary (totals), GET /live. Answers"
                    + " are JSON naming the serving version and host (header x-datastore-version too); v2 adds"
                    + " ratings and per-genre totals.",
                "Database: PostgreSQL when POSTGRES_HOST is set, from the environment as in the walkthrough's"
                    + " datastore.yaml: POSTGRES_HOST, POSTGRES_PORT (5432), POSTGRES_USER, POSTGRES_PASSWORD,"
                    + " POSTGRES_DATABASE (postgres), POSTGRES_TABLEPREFIX (prepended to the table name 'books').",
                "Otherwise an embedded H2 database, in memory or in the file --h2-file names. The table is created"
                    + " and seeded on first start; v1 and v2 may share one database and start together."
            })
    static final class DatastoreCommand implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        // No mixinStandardHelpOptions: --version is the app's version here, not trellis's.
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Shows this help and exits.")
        boolean help;

        @Option(names = "--host", defaultValue = "0.0.0.0",
                description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
        String host;

        @Option(names = {"-p", "--port"}, defaultValue = "${env:PORT:-3000}",
                description = "Port to listen on; 0 picks a free one. Default: $PORT, else 3000.")
        int port;

        @Option(names = "--version", defaultValue = "${env:VERSION:-v1}",
                description = "Which version of the datastore this is, v1 or v2. Default: $VERSION, else v1.")
        String version;

        @Option(names = "--host-name", defaultValue = "${env:HOSTNAME}",
                description = "The host name the answers report. Default: $HOSTNAME, else this machine's name.")
        String hostName;

        @Option(names = "--h2-file",
                description = "Without POSTGRES_HOST: keep the embedded database in this file (H2 adds .mv.db),"
                        + " which several datastores may share; default: in memory.")
        Path h2File;

        @Override
        public Integer call() throws Exception {
            Datastore.Settings settings;
            try {
                settings = new Datastore.Settings(host, port, version, hostName,
                        DatabaseSettings.fromEnvironment(System.getenv(), h2File));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            Datastore datastore;
            try {
                datastore = Datastore.start(settings);
            } catch (java.sql.SQLException | java.io.IOException e) {
                spec.commandLine().getErr().println("datastore " + version + " cannot start: " + e.getMessage());
                return 1;
            }
            return serve(spec.commandLine().getOut(), "datastore " + version, host, datastore.port(),
                    datastore);
        }
    }

    @Command(
            name = "frontend",
            mixinStandardHelpOptions = true,
            description = {
                "The frontend: GET /popular and GET /summary call the datastore at --datastore-url plus the same path"
                    + " and answer with its JSON plus 'servedBy' (the version that served); GET /live; GET /ready"
                    + " is 200 only while the datastore answers --readiness-path.",
                "The request's Host is the URL's host[:port]: the service's custom domain when calling the gateway"
                    + " directly, localhost:8005 when calling the SigV4 proxy sidecar (which signs for its --host).",
                "A refusal (e.g. the gateway's 403) is passed on with its status and body; an unreachable datastore"
                    + " is a 502, a timeout a 504."
            })
    static final class FrontendCommand implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--host", defaultValue = "0.0.0.0",
                description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
        String host;

        @Option(names = {"-p", "--port"}, defaultValue = "${env:PORT:-3000}",
                description = "Port to listen on; 0 picks a free one. Default: $PORT, else 3000.")
        int port;

        @Option(names = "--datastore-url", defaultValue = "${env:DATASTORE_SERVICE_URL}",
                description = "The datastore's base URL; without a scheme it is http:// (as in the walkthrough's"
                        + " 'localhost:8005' and 'datastore.sarathy.io'). Default: $DATASTORE_SERVICE_URL.")
        String datastoreUrl;

        @Option(names = "--readiness-path", defaultValue = "/popular",
                description = "What /ready asks the datastore for. Default: ${DEFAULT-VALUE} (the walkthrough's"
                        + " route sends only /popular and /summary to the datastore, and /popular leaves the"
                        + " /summary canary counts alone).")
        String readinessPath;

        @Option(names = "--ca-certificate",
                description = "PEM certificate(s) to trust for an https datastore URL (e.g. the output of"
                        + " 'trellis ca-certificate'); default: the JDK's trusted CAs.")
        Path caCertificate;

        @Option(names = "--timeout", defaultValue = "5",
                description = "Seconds to wait for the datastore to connect and to answer. Default: ${DEFAULT-VALUE}.")
        int timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            Frontend.Settings settings;
            try {
                if (timeoutSeconds < 1) {
                    throw new IllegalArgumentException("--timeout must be at least 1 second");
                }
                settings = new Frontend.Settings(host, port, Frontend.datastoreUrl(datastoreUrl), readinessPath,
                        caCertificate, Duration.ofSeconds(timeoutSeconds));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            Frontend frontend;
            try {
                frontend = Frontend.start(settings);
            } catch (java.io.IOException e) {
                spec.commandLine().getErr().println("frontend cannot start: " + e.getMessage());
                return 1;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("frontend calls the datastore at " + settings.datastoreUrl());
            return serve(out, "frontend", host, frontend.port(), frontend);
        }
    }

    /** Prints where the app listens, then blocks until SIGTERM/Ctrl-C, which stops it gracefully. */
    private static int serve(PrintWriter out, String what, String host, int port, AutoCloseable app)
            throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                app.close();
            } catch (Exception e) {
                System.err.println(what + ": stopping failed: " + e);
            }
            stopped.countDown();
        }, "trellis-example-shutdown"));
        out.println(what + " listening on http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
        out.println("Stop with Ctrl-C or SIGTERM.");
        out.flush();
        stopped.await();
        return 0;
    }
}
