package dev.trellis.controller;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;

/**
 * The controller process: a Java Operator SDK {@link Operator} running the GatewayClass, Gateway and HTTPRoute
 * reconcilers (per watched Gateway API version) against one Kubernetes API server, calling Lattice with the AWS SDK,
 * plus the {@code /healthz} and {@code /readyz} probes. See trellis-controller/DESIGN.md.
 */
public final class TrellisController implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TrellisController.class);

    private final ControllerConfig config;
    private final Operator operator;
    private final VpcLatticeClient lattice;
    private final boolean ownsLatticeClient;
    private HttpServer probes;

    /** With the Lattice client the config describes (endpoint, region, the SDK's default credential chain). */
    public TrellisController(ControllerConfig config, KubernetesClient kubernetes) {
        this(config, kubernetes, latticeClient(config), true);
    }

    /** With a given Lattice client (tests, or callers with their own credentials); the caller closes it. */
    public TrellisController(ControllerConfig config, KubernetesClient kubernetes, VpcLatticeClient lattice) {
        this(config, kubernetes, lattice, false);
    }

    private TrellisController(ControllerConfig config, KubernetesClient kubernetes, VpcLatticeClient lattice, boolean owns) {
        this.config = config;
        this.lattice = lattice;
        this.ownsLatticeClient = owns;
        Clock clock = Clock.systemUTC();
        // Plain JSON merge patches instead of server-side apply: simpler to reason about for status, and served by every
        // API server (and fabric8's mock server, which the tests use).
        this.operator = new Operator(o -> o.withKubernetesClient(kubernetes)
                .withUseSSAToPatchPrimaryResource(false)
                .withSSABasedCreateUpdateMatchForDependentResources(false)
                .withCloseClientOnStop(false));
        GatewayApiObjects objects = new GatewayApiObjects(kubernetes, config);
        ServiceNetworkSynchronizer networks = new ServiceNetworkSynchronizer(lattice, config);
        RouteModelBuilder builder = new RouteModelBuilder(kubernetes, objects, config);
        LatticeServiceDeployer deployer = new LatticeServiceDeployer(lattice, config, networks);
        PolicyControllers.register(operator, kubernetes, lattice, config, objects, networks, builder, deployer, clock);
        if (config.watches("v1")) {
            register(new GatewayClassReconciler.V1(config, clock), "gatewayclass-v1", null);
            GatewayReconciler.V1 gateways = new GatewayReconciler.V1(config, objects, networks, clock);
            register(gateways, "gateway-v1", o -> o.withFinalizer(GatewayReconciler.FINALIZER)
                    .withGenericFilter(gateways::isOurs));
            register(new HttpRouteReconciler.V1(config, builder, deployer, clock), "httproute-v1",
                    o -> o.withFinalizer(HttpRouteReconciler.FINALIZER));
        }
        if (config.watches("v1beta1")) {
            register(new GatewayClassReconciler.V1beta1(config, clock), "gatewayclass-v1beta1", null);
            GatewayReconciler.V1beta1 gateways = new GatewayReconciler.V1beta1(config, objects, networks, clock);
            register(gateways, "gateway-v1beta1", o -> o.withFinalizer(GatewayReconciler.FINALIZER)
                    .withGenericFilter(gateways::isOurs));
            register(new HttpRouteReconciler.V1beta1(config, builder, deployer, clock), "httproute-v1beta1",
                    o -> o.withFinalizer(HttpRouteReconciler.FINALIZER));
        }
    }

    private <P extends HasMetadata> void register(Reconciler<P> reconciler, String name,
            Consumer<io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider<P>> more) {
        operator.register(reconciler, o -> {
            o.withName(name);
            if (more != null) {
                more.accept(o);
            }
        });
    }

    static VpcLatticeClient latticeClient(ControllerConfig config) {
        var builder = VpcLatticeClient.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .httpClientBuilder(ApacheHttpClient.builder());
        if (config.latticeEndpoint() != null) {
            builder.endpointOverride(config.latticeEndpoint());
        }
        return builder.build();
    }

    /** Starts the probes, then the operator (which returns once its informers have synced). */
    public TrellisController start() throws IOException {
        if (config.healthProbeBindAddress() != null && !config.healthProbeBindAddress().isBlank()) {
            probes = HttpServer.create(bindAddress(config.healthProbeBindAddress()), 16);
            probes.createContext("/healthz", exchange -> answer(exchange, 200, "ok"));
            probes.createContext("/readyz", exchange -> {
                boolean ready = operator.getRuntimeInfo().isStarted() && operator.getRuntimeInfo().allEventSourcesAreHealthy();
                answer(exchange, ready ? 200 : 503, ready ? "ok" : "informers not ready");
            });
            probes.start();
            log.info("health probes on {}", probes.getAddress());
        }
        operator.start();
        log.info("controller {} started (cluster {}, VPC {}, watching {})", config.controllerName(), config.clusterName(),
                config.clusterVpcId(), config.gatewayApiVersions());
        return this;
    }

    /** The probes' address (its port when the configured one was 0). */
    public InetSocketAddress probeAddress() {
        return probes == null ? null : probes.getAddress();
    }

    static InetSocketAddress bindAddress(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("health probe address must be [host]:port, got '" + hostPort + "'");
        }
        String host = hostPort.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("health probe address must be [host]:port, got '" + hostPort + "'", e);
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        operator.stop();
        if (probes != null) {
            probes.stop(0);
        }
        if (ownsLatticeClient) {
            lattice.close();
        }
    }
}
