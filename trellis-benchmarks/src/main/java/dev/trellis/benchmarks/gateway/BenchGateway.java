package dev.trellis.benchmarks.gateway;

import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.GatewayServer;
import dev.trellis.gateway.GatewaySnapshots;
import java.nio.file.Path;

/**
 * A Trellis gateway for the wrk harness, in its own JVM: one event-loop thread ({@code ioThreads(1)}, as nginx gets
 * one worker and HAProxy one thread), on 127.0.0.1, serving {@link BenchSnapshots#datastore} with the harness's
 * backend as the only target; no access log (nginx and HAProxy run with theirs off too).
 *
 * <pre>
 * java -cp benchmarks.jar dev.trellis.benchmarks.gateway.BenchGateway --port 18080 --backend-port 18081 \
 *     [--auth --reference DIR] [--max-idle-upstream N]
 * </pre>
 *
 * Prints {@code ready <port>} once the listener is bound, then serves until killed.
 */
public final class BenchGateway {

    private BenchGateway() {
    }

    public static void main(String[] args) throws Exception {
        int port = 0;
        int backendPort = -1;
        boolean auth = false;
        int maxIdleUpstream = -1;
        Path reference = Path.of("../shared/reference");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(value(args, ++i, "--port"));
                case "--backend-port" -> backendPort = Integer.parseInt(value(args, ++i, "--backend-port"));
                case "--auth" -> auth = true;
                case "--max-idle-upstream" -> maxIdleUpstream = Integer.parseInt(value(args, ++i, args[i - 1]));
                case "--reference" -> reference = Path.of(value(args, ++i, "--reference"));
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --port N --backend-port N [--auth] [--reference DIR] [--max-idle-upstream N])");
            }
        }
        if (backendPort <= 0) {
            throw new IllegalArgumentException("--backend-port is required");
        }
        BenchSnapshots.WalkthroughPolicies policies = auth ? BenchSnapshots.WalkthroughPolicies.read(reference) : null;
        GatewaySnapshots snapshots = new GatewaySnapshots(BenchSnapshots.datastore(backendPort, policies));
        GatewayConfig.Builder config = GatewayConfig.builder()
                .bindAddress("127.0.0.1")
                .mapPort(BenchSnapshots.LISTENER_PORT, port)
                .ioThreads(1);
        if (maxIdleUpstream >= 0) {
            config.maxIdleConnectionsPerTarget(maxIdleUpstream);
        }
        GatewayServer server = new GatewayServer(config.build(), snapshots).start();
        int bound = server.localPort(BenchSnapshots.LISTENER_PORT);
        if (bound < 0) {
            throw new IllegalStateException("the gateway could not bind 127.0.0.1:" + port);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "bench-gateway-shutdown"));
        System.out.println("ready " + bound);
        System.out.flush();
        Thread.currentThread().join();
    }

    static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
