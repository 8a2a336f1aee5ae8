package dev.trellis.cli;

import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.GatewayTransport;
import dev.trellis.gateway.GatewayServer;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.admin.AdminServer;
import dev.trellis.gateway.dns.DnsServer;
import dev.trellis.gateway.dns.DnsServerConfig;
import dev.trellis.gateway.metrics.GatewayMetrics;
import dev.trellis.gateway.fabric.FabricClient;
import dev.trellis.gateway.fabric.FabricTls;
import dev.trellis.gateway.snapshot.ControlPlaneClient;
import dev.trellis.gateway.snapshot.GatewayEnrollment;
import dev.trellis.gateway.snapshot.SnapshotClient;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
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

    @Option(names = "--gateway-id", paramLabel = "ID",
            description = "This gateway's name among its VPC's gateways ([A-Za-z0-9._-], at most 64)."
                    + " Default: this machine's host name.")
    String gatewayId;

    @Option(names = "--fabric-address", defaultValue = "127.0.0.1", paramLabel = "IP",
            description = "The IP address the gateways of other VPCs reach this one on (HTTP/2 over mutual TLS with"
                    + " certificates from the control plane's CA); the fabric listener is bound there."
                    + " Default: ${DEFAULT-VALUE} (every gateway on this machine).")
    String fabricAddress;

    @Option(names = "--fabric-port", paramLabel = "PORT",
            description = "The fabric listener's port (0 picks a free one). Default: the port this gateway registered"
                    + " last time, else a free one.")
    Integer fabricPort;

    @Option(names = "--dns-port", paramLabel = "PORT",
            description = "The VPC's DNS server (UDP and TCP) on the --bind address: generated names of reachable"
                    + " services, the private hosted zones associated with the VPC. 0 picks a free port."
                    + " Default: 53, and no DNS server (said in the log) when this process may not bind it.")
    Integer dnsPort;

    @Option(names = "--dns-upstream", paramLabel = "IP[:PORT]",
            description = "The resolver names outside the VPC's zones are forwarded to. Default: none (REFUSED).")
    String dnsUpstream;

    @Option(names = "--dns-ipv6", paramLabel = "IPV6",
            description = "Answer AAAA queries for generated names with this address (VPC Lattice uses"
                    + " fd00:ec2:80::/64). Default: no AAAA answers.")
    String dnsIpv6;

    @Option(names = "--io-threads", defaultValue = "0", paramLabel = "N",
            description = "Event-loop threads. Default: 0, twice the cores.")
    int ioThreads;

    @Option(names = "--transport", defaultValue = "auto", paramLabel = "nio|epoll|io_uring|auto",
            description = "The event loops' I/O transport: Linux's io_uring (about a third less CPU per request"
                    + " than epoll in ./bench wrk), Linux's epoll, Java NIO, or auto (io_uring where the kernel"
                    + " allows it, else epoll, else NIO; the choice and the reason for a fallback are logged at"
                    + " start). Default: ${DEFAULT-VALUE}.")
    String transport;

    @Option(names = "--access-log-dir", paramLabel = "DIR",
            description = "Where access logs are written: one JSON line per request (VPC Lattice's fields) to a file"
                    + " per access-log subscription destination of the service or its network (s3/<bucket>.log,"
                    + " logs/<region>/<account>/<log-group>.log, firehose/<region>/<account>/<stream>.log)."
                    + " Default: <data-dir>/access-logs.")
    Path accessLogDir;

    @Option(names = "--admin-address", defaultValue = AdminServer.DEFAULT_BIND_ADDRESS, paramLabel = "ADDRESS",
            description = "Address of the admin port (/metrics for Prometheus, /healthz, /readyz)."
                    + " Default: ${DEFAULT-VALUE}.")
    String adminAddress;

    @Option(names = "--admin-port", defaultValue = "" + AdminServer.DEFAULT_PORT, paramLabel = "PORT",
            description = "The admin port (0 picks a free one, printed at start). Default: ${DEFAULT-VALUE}.")
    int adminPort;

    @Override
    public Integer call() throws Exception {
        if (!vpcId.matches("vpc-[0-9a-f]{8}([0-9a-f]{9})?")) {
            throw new ParameterException(spec.commandLine(), "--vpc must be a VPC id (vpc-...), not '" + vpcId + "'");
        }
        if (!fabricAddress.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")
                && !fabricAddress.matches("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
            throw new ParameterException(spec.commandLine(), "--fabric-address must be an IP address (peers dial it"
                    + " without DNS), not '" + fabricAddress + "'");
        }
        GatewayTransport chosenTransport;
        try {
            chosenTransport = GatewayTransport.select(transport);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--transport: " + e.getMessage());
        }
        AwsCredentials credentials = credentials();
        Path data = dataDir != null ? dataDir : Path.of("gateway-data", vpcId);
        String address = bindAddress != null ? bindAddress : defaultBindAddress();

        ControlPlaneClient controlPlaneClient = new ControlPlaneClient(controlPlane, region,
                credentials.accessKeyId(), credentials.secretAccessKey());
        PrintWriter out = spec.commandLine().getOut();
        int port = fabricPort != null && fabricPort != 0 ? fabricPort
                : fabricPort == null ? GatewayEnrollment.persistedPort(data, vpcId).orElseGet(GatewayCommand::freePort)
                : freePort();
        GatewayEnrollment enrollment = new GatewayEnrollment(controlPlaneClient, new GatewayEnrollment.Registration(
                vpcId, gatewayId != null ? gatewayId : defaultGatewayId(), fabricAddress, port), data,
                Clock.systemUTC());
        FabricTls fabricTls = enrollment.start(() -> {
            out.println("Waiting for the control plane at " + controlPlane + " to register this gateway...");
            out.flush();
        });
        GatewayMetrics metrics = GatewayMetrics.prometheus();
        GatewayConfig.Builder config = GatewayConfig.builder()
                .bindAddress(address)
                .portOffset(portOffset)
                .ioThreads(ioThreads)
                .transport(chosenTransport.toString())
                .metrics(metrics)
                .fabric(new FabricClient(fabricTls))
                .fabricTls(fabricTls)
                .fabricListener(fabricAddress, port)
                .accessLogDirectory(accessLogDir != null ? accessLogDir : data.resolve("access-logs"))
                .targetHealthSink(reports -> {
                    try {
                        controlPlaneClient.reportTargetHealth(vpcId, reports);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
        portMap.forEach(config::mapPort);
        GatewayConfig built = config.build();

        GatewaySnapshots snapshots = new GatewaySnapshots(VpcSnapshot.empty(vpcId, region));
        GatewayServer server = new GatewayServer(built, snapshots).start();
        AdminServer admin = AdminServer.start(adminAddress, adminPort, metrics, snapshots, server);
        DnsServer dns = startDns(address, snapshots);
        SnapshotClient client = new SnapshotClient(new SnapshotClient.Settings(controlPlane, vpcId, region,
                credentials.accessKeyId(), credentials.secretAccessKey(), data), controlPlaneClient, Clock.systemUTC(),
                snapshots::swap);
        client.start();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            client.close();
            if (dns != null) {
                dns.close();
            }
            enrollment.close();
            server.close();
            controlPlaneClient.close();
            admin.close();
            if (built.accessLog() instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    log.warn("closing the access logs: {}", e.toString());
                }
            }
            stopped.countDown();
        }, "trellis-gateway-shutdown"));

        out.println("Trellis gateway for " + vpcId + " on " + address
                + (portOffset == 0 ? "" : " (listener ports +" + portOffset + ")")
                + ", configured by " + controlPlane + " (snapshot revision " + client.revision() + ")");
        out.println("Fabric: " + fabricAddress + ":" + server.fabricPort() + " (certificate valid until "
                + enrollment.notAfter() + ")");
        out.println("DNS: " + (dns == null ? "off" : address + " port " + dns.port() + " (UDP and TCP)"));
        out.println("Admin port: http://" + adminAddress + ":" + admin.port() + " (/metrics, /healthz, /readyz)");
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

    /**
     * The VPC's DNS server on the listeners' address; null when the default port 53 cannot be bound (an explicit
     * --dns-port that cannot be bound is an error).
     */
    private DnsServer startDns(String address, GatewaySnapshots snapshots) {
        InetAddress bind;
        try {
            bind = InetAddress.getByName(address);
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "--bind: " + e.getMessage());
        }
        if (!(bind instanceof Inet4Address v4)) {
            log.warn("no DNS server: its answers need an IPv4 --bind address, not {}", address);
            return null;
        }
        DnsServerConfig.Builder config = DnsServerConfig.builder(bind, v4)
                .port(dnsPort != null ? dnsPort : DnsServerConfig.DEFAULT_PORT);
        if (dnsUpstream != null) {
            config.upstream(upstream(dnsUpstream));
        }
        if (dnsIpv6 != null) {
            try {
                if (!(InetAddress.getByName(dnsIpv6) instanceof Inet6Address v6) || !dnsIpv6.contains(":")) {
                    throw new ParameterException(spec.commandLine(), "--dns-ipv6 must be an IPv6 address");
                }
                config.serviceAddressV6(v6);
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), "--dns-ipv6: " + e.getMessage());
            }
        }
        DnsServer dns = new DnsServer(config.build()).follow(snapshots);
        try {
            return dns.start();
        } catch (IllegalStateException e) {
            if (dnsPort != null) {
                throw e;
            }
            log.warn("no DNS server for the VPC: {} (run as root, or pick a port with --dns-port)", e.getMessage());
            return null;
        }
    }

    /** {@code ip} or {@code ip:port} ({@code [v6]:port}); an IP literal, never a name to look up. */
    private InetSocketAddress upstream(String text) {
        String host = text;
        int port = 53;
        int colon = text.lastIndexOf(':');
        if (text.startsWith("[") && text.contains("]")) {
            host = text.substring(1, text.indexOf(']'));
            if (text.indexOf(']') + 1 < text.length()) {
                port = Integer.parseInt(text.substring(text.indexOf(']') + 2));
            }
        } else if (colon > 0 && text.indexOf(':') == colon) {
            host = text.substring(0, colon);
            port = Integer.parseInt(text.substring(colon + 1));
        }
        if (!host.matches("[0-9.]+") && !host.contains(":")) {
            throw new ParameterException(spec.commandLine(), "--dns-upstream must be an IP address, not '" + text
                    + "'");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (IOException | IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--dns-upstream: " + e.getMessage());
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port for the fabric listener", e);
        }
    }

    /** This machine's host name, cut to what a gateway id may hold. */
    private static String defaultGatewayId() {
        String name;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            name = "gateway";
        }
        name = name.replaceAll("[^A-Za-z0-9._-]", "-");
        return name.isEmpty() ? "gateway" : name.substring(0, Math.min(64, name.length()));
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
