package dev.trellis.cli;

import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.GatewayServer;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.accesslog.JsonLinesAccessLog;
import dev.trellis.gateway.snapshot.SnapshotClient;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;

/** {@code trellis gateway}: the data plane of one VPC. */
@Command(
        name = "gateway",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the gateway of one VPC: it serves the listeners of every service reachable from the VPC on the"
                + " VPC-side address, authenticates and authorizes each request, routes it by the listener rules and"
                + " proxies it to a target (in this VPC) or to the gateway of the target's VPC.",
            "Its configuration is the VPC's snapshot, long-polled from the control plane with SigV4-signed calls"
                + " (the caller needs trellis:GetVpcSnapshot on arn:aws:trellis:<region>:<account>:vpc/<vpc-id>;"
                + " the admin profile has it). The last snapshot is kept in the data directory: a gateway restarted"
                + " while the control plane is down serves it.",
            "Credentials: --profile, else the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,"
                + " AWS_PROFILE with AWS_CONFIG_FILE, ...). The control plane's first start writes the admin's profile"
                + " 'trellis' to <its data dir>/aws-config."
        })
final class GatewayCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(GatewayCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--vpc", required = true, paramLabel = "VPC_ID",
            description = "The VPC this gateway serves (vpc-...), as created with the EC2 API (aws ec2 create-vpc).")
    String vpcId;

    @Option(names = "--control-plane", defaultValue = "http://127.0.0.1:8080", paramLabel = "URL",
            description = "The control plane's endpoint. Default: ${DEFAULT-VALUE}.")
    URI controlPlane;

    @Option(names = "--region", defaultValue = "us-west-2",
            description = "The control plane's region (the SigV4 scope of its calls). Default: ${DEFAULT-VALUE}.")
    String region;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "AWS profile whose credentials sign the calls to the control plane (AWS_CONFIG_FILE says"
                    + " which file). Default: the AWS SDK's default credential chain.")
    String profile;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the last good snapshot is kept. Default: gateway-data/<vpc-id>.")
    Path dataDir;

    @Option(names = "--bind", paramLabel = "ADDRESS",
            description = "The VPC-side address every listener is bound on. Default: " + GatewayConfig.DEFAULT_BIND_ADDRESS
                    + " (as VPC Lattice's) where this machine has it, else 127.0.0.1 (said in the log).")
    String bindAddress;

    @Option(names = "--port-offset", defaultValue = "0", paramLabel = "N",
            description = "Bind every listener port N higher (listener 80 on 8080 with 8000), for a gateway that may"
                    + " not bind ports below 1024. Default: ${DEFAULT-VALUE}.")
    int portOffset;

    @Option(names = "--port-map", paramLabel = "LISTENER=LOCAL",
            description = "Bind one listener port on another local port (repeatable; wins over --port-offset);"
                    + " 0 picks a free one.")
    Map<Integer, Integer> portMap = new LinkedHashMap<>();

    @Option(names = "--io-threads", defaultValue = "0", paramLabel = "N",
            description = "Event-loop threads. Default: 0, twice the cores.")
    int ioThreads;

    @Option(names = "--access-log", paramLabel = "FILE",
            description = "Also write every request's access-log record (VPC Lattice's JSON fields) to FILE.")
    Path accessLogFile;

    @Override
    public Integer call() throws Exception {
        if (!vpcId.matches("vpc-[0-9a-f]{8}([0-9a-f]{9})?")) {
            throw new ParameterException(spec.commandLine(), "--vpc must be a VPC id (vpc-...), not '" + vpcId + "'");
        }
        AwsCredentials credentials = credentials();
        Path data = dataDir != null ? dataDir : Path.of("gateway-data", vpcId);
        String address = bindAddress != null ? bindAddress : defaultBindAddress();

        GatewayConfig.Builder config = GatewayConfig.builder()
                .bindAddress(address)
                .portOffset(portOffset)
                .ioThreads(ioThreads);
        portMap.forEach(config::mapPort);
        JsonLinesAccessLog accessLog = accessLogFile == null ? null : new JsonLinesAccessLog(accessLogFile);
        if (accessLog != null) {
            config.accessLog(accessLog);
        }

        GatewaySnapshots snapshots = new GatewaySnapshots(VpcSnapshot.empty(vpcId, region));
        GatewayServer server = new GatewayServer(config.build(), snapshots).start();
        SnapshotClient client = new SnapshotClient(new SnapshotClient.Settings(controlPlane, vpcId, region,
                credentials.accessKeyId(), credentials.secretAccessKey(), data), snapshots::swap);
        client.start();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            client.close();
            server.close();
            if (accessLog != null) {
                accessLog.close();
            }
            stopped.countDown();
        }, "trellis-gateway-shutdown"));

        PrintWriter out = spec.commandLine().getOut();
        out.println("Trellis gateway for " + vpcId + " on " + address
                + (portOffset == 0 ? "" : " (listener ports +" + portOffset + ")")
                + ", configured by " + controlPlane + " (snapshot revision " + client.revision() + ")");
        out.println("Stop with Ctrl-C or SIGTERM.");
        out.flush();
        stopped.await();
        return 0;
    }

    private AwsCredentials credentials() {
        AwsCredentialsProvider provider = profile != null
                ? ProfileCredentialsProvider.create(profile)
                : DefaultCredentialsProvider.builder().build();
        try {
            return provider.resolveCredentials();
        } catch (RuntimeException e) {
            throw new ParameterException(spec.commandLine(), "no AWS credentials for the calls to the control plane"
                    + (profile != null ? " in profile '" + profile + "'" : "") + ": " + e.getMessage());
        }
    }

    /** 169.254.171.1 when this machine has the address (a namespace or node set up for it), else loopback. */
    private static String defaultBindAddress() {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getByName(GatewayConfig.DEFAULT_BIND_ADDRESS), 0));
            return GatewayConfig.DEFAULT_BIND_ADDRESS;
        } catch (IOException e) {
            log.warn("{} is not an address of this machine; listening on 127.0.0.1 instead (use --bind)",
                    GatewayConfig.DEFAULT_BIND_ADDRESS);
            return "127.0.0.1";
        }
    }
}
