package dev.trellis.benchmarks.gateway;

import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.GatewayServer;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.LeakDetection;
import dev.trellis.gateway.fabric.FabricClient;
import dev.trellis.gateway.fabric.FabricTls;
import dev.trellis.model.snapshot.CertificateEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A Trellis gateway for the wrk harness, in its own JVM: one event-loop thread ({@code ioThreads(1)}, as nginx gets
 * one worker and HAProxy one thread), on 127.0.0.1, serving {@link BenchSnapshots#datastore} with the harness's
 * backend as the only target; no access log (nginx and HAProxy run with theirs off too).
 *
 * <pre>
 * java -cp benchmarks.jar dev.trellis.benchmarks.gateway.BenchGateway --port 18080 --backend-port 18081 \
 *     [--auth --reference DIR] [--max-idle-upstream N]
 *     [--https-cert FILE --https-key FILE]                      an HTTPS listener with this certificate
 *     [--fabric first-hop|peer --fabric-dir DIR --fabric-port N] one of the fabric scenario's two gateways
 * </pre>
 *
 * <ul>
 *   <li>{@code --https-cert/--https-key}: the datastore's listener is HTTPS ({@link BenchSnapshots#datastoreHttps}),
 *       the PEM files are its managed certificate (the generated name's).
 *   <li>{@code --fabric peer}: VPC-B's gateway ({@link BenchSnapshots#fabricPeer}): no client listener, a fabric
 *       listener on 127.0.0.1:{@code --fabric-port} with {@code gateway-b.crt/.key/-ca.crt} from
 *       {@code --fabric-dir}; it proxies the first hop's requests to the backend.
 *   <li>{@code --fabric first-hop}: VPC-A's gateway ({@link BenchSnapshots#fabricFirstHop}): the client listener on
 *       {@code --port}, the target group in VPC-B, reached through 127.0.0.1:{@code --fabric-port} with
 *       {@code gateway-a.*} as its client identity. It has no fabric listener of its own (nobody calls it).
 * </ul>
 *
 * Prints {@code ready <port>} once the listener is bound, then serves until killed.
 */
public final class BenchGateway {

    private BenchGateway() {
    }

    public static void main(String[] args) throws Exception {
        // as the trellis process runs its gateway: Netty's leak detection off (LeakDetection)
        LeakDetection.offUnlessConfigured();
        int port = 0;
        int backendPort = -1;
        boolean auth = false;
        int maxIdleUpstream = -1;
        Path reference = Path.of("../shared/reference");
        Path httpsCert = null;
        Path httpsKey = null;
        String fabric = null;
        Path fabricDir = null;
        int fabricPort = -1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(value(args, ++i, "--port"));
                case "--backend-port" -> backendPort = Integer.parseInt(value(args, ++i, "--backend-port"));
                case "--auth" -> auth = true;
                case "--max-idle-upstream" -> maxIdleUpstream = Integer.parseInt(value(args, ++i, args[i - 1]));
                case "--reference" -> reference = Path.of(value(args, ++i, "--reference"));
                case "--https-cert" -> httpsCert = Path.of(value(args, ++i, "--https-cert"));
                case "--https-key" -> httpsKey = Path.of(value(args, ++i, "--https-key"));
                case "--fabric" -> fabric = value(args, ++i, "--fabric");
                case "--fabric-dir" -> fabricDir = Path.of(value(args, ++i, "--fabric-dir"));
                case "--fabric-port" -> fabricPort = Integer.parseInt(value(args, ++i, "--fabric-port"));
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --port N --backend-port N [--auth] [--reference DIR] [--max-idle-upstream N]"
                        + " [--https-cert FILE --https-key FILE] [--fabric first-hop|peer --fabric-dir DIR"
                        + " --fabric-port N])");
            }
        }
        if (backendPort <= 0) {
            throw new IllegalArgumentException("--backend-port is required");
        }
        if ((httpsCert == null) != (httpsKey == null)) {
            throw new IllegalArgumentException("--https-cert and --https-key go together");
        }
        if (fabric != null && (fabricDir == null || fabricPort <= 0)) {
            throw new IllegalArgumentException("--fabric needs --fabric-dir and --fabric-port");
        }
        GatewayConfig.Builder config = GatewayConfig.builder()
                .bindAddress("127.0.0.1")
                .ioThreads(1);
        if (maxIdleUpstream >= 0) {
            config.maxIdleConnectionsPerTarget(maxIdleUpstream);
        }
        VpcSnapshot snapshot;
        int listenerPort = BenchSnapshots.LISTENER_PORT;
        if (fabric != null) {
            switch (fabric) {
                case "peer" -> {
                    FabricTls tls = FabricTls.create(BenchSnapshots.VPC_B, read(fabricDir, "gateway-b")
                            .fabricIdentity());
                    snapshot = BenchSnapshots.fabricPeer(backendPort);
                    config.fabric(new FabricClient(tls)).fabricTls(tls).fabricListener("127.0.0.1", fabricPort);
                    listenerPort = -1;
                }
                case "first-hop" -> {
                    FabricTls tls = FabricTls.create(BenchSnapshots.VPC, read(fabricDir, "gateway-a")
                            .fabricIdentity());
                    snapshot = BenchSnapshots.fabricFirstHop("127.0.0.1", fabricPort);
                    config.fabric(new FabricClient(tls));
                }
                default -> throw new IllegalArgumentException("--fabric is first-hop or peer, not " + fabric);
            }
        } else if (httpsCert != null) {
            String chain = Files.readString(httpsCert);
            snapshot = BenchSnapshots.datastoreHttps(backendPort, new CertificateEntry(null,
                    List.of(BenchSnapshots.HOST), chain, Files.readString(httpsKey), null));
            listenerPort = BenchSnapshots.HTTPS_LISTENER_PORT;
        } else {
            snapshot = BenchSnapshots.datastore(backendPort,
                    auth ? BenchSnapshots.WalkthroughPolicies.read(reference) : null);
        }
        if (listenerPort > 0) {
            config.mapPort(listenerPort, port);
        }
        GatewayServer server = new GatewayServer(config.build(), new GatewaySnapshots(snapshot)).start();
        int bound = listenerPort > 0 ? server.localPort(listenerPort) : server.fabricPort();
        if (bound <= 0) {
            throw new IllegalStateException("the gateway could not bind 127.0.0.1:"
                    + (listenerPort > 0 ? port : fabricPort));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "bench-gateway-shutdown"));
        // This JVM logs nothing; the transport and the fabric's TLS provider go to its .out file, so that an A/B
        // run (-Dtrellis.transport, -Dtrellis.fabric.tls) can be checked afterwards.
        System.out.println("event loops: " + server.transport()
                + (server.fabricPort() > 0 ? ", fabric TLS: " + FabricTls.provider() : ""));
        System.out.println("ready " + bound);
        System.out.flush();
        Thread.currentThread().join();
    }

    private static BenchPki.Issued read(Path dir, String prefix) throws IOException {
        return BenchPki.Issued.read(dir.resolve(prefix + ".crt"), dir.resolve(prefix + ".key"),
                dir.resolve(prefix + "-ca.crt"));
    }

    static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
