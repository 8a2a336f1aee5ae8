package dev.trellis.controller;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.acm.AcmClient;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;

/**
 * The controller process: a Java Operator SDK {@link Operator} running the GatewayClass, Gateway and HTTPRoute
 * reconcilers (per watched Gateway API version) against one Kubernetes API server, calling Lattice with the AWS SDK,
 * plus the {@code /healthz} and {@code /readyz} probes, {@code /metrics} ({@link ControllerMetrics}), Kubernetes Events
 * ({@link ControllerEvents}), optional leader election through a Lease, and a periodic resync. See
 * trellis-controller/DESIGN.md.
 */
public final class TrellisController implements AutoCloseable {

    /** The Lease replicas compete for when leader election is on. */
    public static final String LEASE_NAME = "trellis-gateway-api-controller";

    private static final Logger log = LoggerFactory.getLogger(TrellisController.class);

    private final ControllerConfig config;
    private final KubernetesClient kubernetes;
    private final Clock clock = Clock.systemUTC();
    /** Follows optional CRDs installed (or removed) while running; the operator is rebuilt for them. */
    private final CrdWatch crdWatch;
    /** The running operator: built at {@link #start}, replaced when optional CRDs change ({@link #rebuild}). */
    private volatile Operator operator;
    /** Which operator build the leader callbacks belong to: a stopped build's callbacks are ignored. */
    private volatile int build;
    private volatile boolean rebuilding;
    private final VpcLatticeClient lattice;
    private final boolean ownsLatticeClient;
    private final AcmClient acm;
    private final ControllerMetrics metrics;
    private final String leaderIdentity;
    private HttpServer probes;
    private HttpServer metricsServer;
    private volatile boolean leading;
    private volatile boolean leadershipLost;
    private volatile boolean closing;
    private volatile Runnable onLostLeadership;

    /** With the Lattice and ACM clients the config describes (endpoint, region, the SDK's default credential chain). */
    public TrellisController(ControllerConfig config, KubernetesClient kubernetes) {
        this(config, kubernetes, new ControllerMetrics());
    }

    private TrellisController(ControllerConfig config, KubernetesClient kubernetes, ControllerMetrics metrics) {
        this(config, kubernetes, latticeClient(config, metrics), acmClient(config), true, metrics);
    }

    /** With given Lattice and ACM clients (tests); the caller closes them. */
    public TrellisController(ControllerConfig config, KubernetesClient kubernetes, VpcLatticeClient lattice, AcmClient acm,
            ControllerMetrics metrics) {
        this(config, kubernetes, lattice, acm, false, metrics);
    }

    /** With a given Lattice client and metrics of its own. */
    public TrellisController(ControllerConfig config, KubernetesClient kubernetes, VpcLatticeClient lattice) {
        this(config, kubernetes, lattice, null, false, new ControllerMetrics());
    }

    private TrellisController(ControllerConfig config, KubernetesClient kubernetes, VpcLatticeClient lattice, AcmClient acm,
            boolean owns, ControllerMetrics metrics) {
        this.config = config;
        this.lattice = lattice;
        this.acm = acm;
        this.ownsLatticeClient = owns;
        this.metrics = metrics;
        this.kubernetes = kubernetes;
        this.leaderIdentity = newLeaderIdentity();
        this.crdWatch = new CrdWatch(kubernetes, config, usable -> rebuild());
    }

    /**
     * A new operator with every reconciler registered, for the kinds installed now. JOSDK cannot add a controller to a
     * started operator, so a CRD installed later means a new operator ({@link #rebuild}); all reconcilers and their
     * helpers are built anew too, as some learn at construction which optional kinds exist.
     */
    private Operator newOperator() {
        int thisBuild = ++build;
        // Plain JSON merge patches instead of server-side apply: simpler to reason about for status, and served by every
        // API server (and fabric8's mock server, which the tests use).
        Operator operator = new Operator(o -> {
            o.withKubernetesClient(kubernetes)
                    .withUseSSAToPatchPrimaryResource(false)
                    .withSSABasedCreateUpdateMatchForDependentResources(false)
                    .withCloseClientOnStop(false)
                    .withMetrics(metrics.reconciliations());
            if (config.leaderElection()) {
                metrics.leading(false);
                o.withLeaderElectionConfiguration(LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(LEASE_NAME)
                        .withLeaseNamespace(config.leaderElectionNamespace())
                        .withIdentity(leaderIdentity)
                        // not JOSDK's System.exit: onStopLeading below stops this controller and fails /healthz, and
                        // `trellis controller` exits, so the pod restarts as a follower; an embedding caller decides
                        .withExitOnStopLeading(false)
                        .withLeaderCallbacks(new LeaderCallbacks(() -> startedLeading(thisBuild),
                                () -> stoppedLeading(thisBuild), leader -> log.info("leader is now {}", leader)))
                        .build());
            }
        });
        this.operator = operator;
        ControllerEvents events = new ControllerEvents(kubernetes, clock);
        GatewayApiObjects objects = new GatewayApiObjects(kubernetes, config);
        ServiceNetworkSynchronizer networks = new ServiceNetworkSynchronizer(lattice, config);
        RouteModelBuilder builder = new RouteModelBuilder(kubernetes, objects, config);
        LatticeServiceDeployer deployer = new LatticeServiceDeployer(lattice, config, networks);
        PolicyControllers.register(this::register, kubernetes, lattice, config, objects, networks, builder, deployer, events,
                clock);
        CustomDomains domains = new CustomDomains(kubernetes, acm);
        if (config.watches("v1")) {
            register(new GatewayClassReconciler.V1(config, clock), "gatewayclass-v1", null);
            // no filter and no JOSDK finalizer: the reconciler decides which Gateways are ours (GatewayReconciler.Ownership)
            register(new GatewayReconciler.V1(config, objects, networks, clock, events), "gateway-v1", null);
            register(new HttpRouteReconciler.V1(config, builder, deployer, domains, clock, events), "httproute-v1",
                    o -> o.withFinalizer(HttpRouteReconciler.FINALIZER));
        }
        if (config.watches("v1beta1")) {
            register(new GatewayClassReconciler.V1beta1(config, clock), "gatewayclass-v1beta1", null);
            // no filter and no JOSDK finalizer: the reconciler decides which Gateways are ours (GatewayReconciler.Ownership)
            register(new GatewayReconciler.V1beta1(config, objects, networks, clock, events), "gateway-v1beta1", null);
            register(new HttpRouteReconciler.V1beta1(config, builder, deployer, domains, clock, events), "httproute-v1beta1",
                    o -> o.withFinalizer(HttpRouteReconciler.FINALIZER));
        }
        registerGrpcAndTlsRoutes(kubernetes, builder, deployer, domains, clock, events);
        return operator;
    }

    /**
     * GRPCRoute and TLSRoute reconcilers, each only when the API server serves that kind in that version: TLSRoute is in
     * Gateway API's experimental channel only and GRPCRoute in the standard channel since v1.1, so a cluster may lack
     * them, and an informer on a missing kind would keep the controller from becoming ready. A CRD installed later is
     * picked up by {@link CrdWatch}, which has the operator rebuilt.
     */
    private void registerGrpcAndTlsRoutes(KubernetesClient kubernetes, RouteModelBuilder builder,
            LatticeServiceDeployer deployer, CustomDomains domains, Clock clock, ControllerEvents events) {
        ServedKinds served = new ServedKinds(kubernetes);
        if (config.watches("v1") && served.serves("grpcroutes", "v1")) {
            register(new GrpcRouteReconciler.V1(config, builder, deployer, domains, clock, events), "grpcroute-v1",
                    o -> o.withFinalizer(RouteKind.GRPC_ROUTE.finalizer()));
        }
        if (config.watches("v1beta1") && served.serves("grpcroutes", "v1alpha2")) {
            register(new GrpcRouteReconciler.V1alpha2(config, builder, deployer, domains, clock, events), "grpcroute-v1alpha2",
                    o -> o.withFinalizer(RouteKind.GRPC_ROUTE.finalizer()));
        }
        if (served.serves("tlsroutes", "v1alpha2")) {
            register(new TlsRouteReconciler(config, builder, deployer, domains, clock, events), "tlsroute-v1alpha2",
                    o -> o.withFinalizer(RouteKind.TLS_ROUTE.finalizer()));
        }
    }

    private <P extends HasMetadata> void register(Reconciler<P> reconciler, String name,
            Consumer<io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider<P>> more) {
        operator.register(reconciler, o -> {
            o.withName(name);
            // the periodic resync: drift made in Lattice outside the cluster is repaired on the next run
            o.withReconciliationMaxInterval(config.resync().isZero() ? null : config.resync());
            if (more != null) {
                more.accept(o);
            }
        });
    }

    static VpcLatticeClient latticeClient(ControllerConfig config, ControllerMetrics metrics) {
        var builder = VpcLatticeClient.builder()
                .region(Region.of(config.region()))
                .overrideConfiguration(o -> o.addExecutionInterceptor(metrics.latticeCalls()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .httpClientBuilder(ApacheHttpClient.builder());
        if (config.latticeEndpoint() != null) {
            builder.endpointOverride(config.latticeEndpoint());
        }
        return builder.build();
    }

    /** ACM at LATTICE_ENDPOINT when set (Trellis's control plane serves both APIs there), else AWS's ACM endpoint. */
    static AcmClient acmClient(ControllerConfig config) {
        var builder = AcmClient.builder()
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
            probes.createContext("/healthz", exchange -> {
                boolean lost = leadershipLost;
                answer(exchange, lost ? 503 : 200, lost ? "lost leadership; waiting to be restarted" : "ok");
            });
            probes.createContext("/readyz", exchange -> {
                String notReady = notReady();
                answer(exchange, notReady == null ? 200 : 503, notReady == null ? "ok" : notReady);
            });
            probes.start();
            log.info("health probes on {}", probes.getAddress());
        }
        if (config.servesMetrics()) {
            metricsServer = HttpServer.create(bindAddress(config.metricsBindAddress()), 16);
            metricsServer.createContext("/metrics", exchange -> answer(exchange, 200,
                    "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
            metricsServer.start();
            log.info("metrics on {}/metrics", metricsServer.getAddress());
        }
        // the CRD watch first: what it sees usable is what this build registers, so nothing installed in between is missed
        crdWatch.start(Duration.ofSeconds(30));
        crdWatch.built(crdWatch.usable());
        synchronized (this) {
            newOperator().start();
        }
        log.info("controller {} started (cluster {}, VPC {}, watching {})", config.controllerName(), config.clusterName(),
                config.clusterVpcId(), config.gatewayApiVersions());
        return this;
    }

    /**
     * Why {@code /readyz} fails, or null when ready. A follower (leader election on, not leading) is ready: it is
     * healthy and waiting, as controller-runtime's replicas are.
     */
    private String notReady() {
        if (leadershipLost) {
            return "lost leadership";
        }
        Operator current = operator;
        if (rebuilding) {
            return "restarting the operator for changed CRDs";
        }
        if (current == null || !current.getRuntimeInfo().isStarted()) {
            return "operator not started";
        }
        if (config.leaderElection() && !leading) {
            return null;
        }
        return current.getRuntimeInfo().allEventSourcesAreHealthy() ? null : "informers not ready";
    }

    /**
     * Replaces the running operator by one built for the CRDs installed now (called by {@link CrdWatch} on its own
     * thread). The probes, metrics and this object stay; informers re-list and every object is reconciled once, which
     * converges without changes. With leader election the new operator competes for the Lease again (the same
     * identity: it keeps the Lease if it held it and the Lease is not released on stop; otherwise another replica may
     * take over, which is correct too).
     */
    private synchronized void rebuild() {
        if (closing) {
            return;
        }
        rebuilding = true;
        try {
            Operator old = operator;
            leading = false;
            if (config.leaderElection()) {
                metrics.leading(false);
            }
            build++; // the old operator's stop-leading callback is not a lost leadership
            if (old != null) {
                old.stop();
            }
            newOperator().start();
            log.info("operator restarted in-process for the changed CRDs (probes stayed up)");
        } finally {
            rebuilding = false;
        }
    }

    private void startedLeading(int ofBuild) {
        if (ofBuild != build) {
            return;
        }
        leading = true;
        metrics.leading(true);
        log.info("{} is the leader (Lease {}{}): reconciling", leaderIdentity, config.leaderElectionNamespace() == null
                ? "" : config.leaderElectionNamespace() + "/", LEASE_NAME);
    }

    private void stoppedLeading(int ofBuild) {
        if (ofBuild != build) {
            return; // an operator stopped by rebuild()
        }
        boolean wasLeading = leading;
        leading = false;
        metrics.leading(false);
        if (closing || !wasLeading) {
            return;
        }
        // another replica may be reconciling already: stop at once, and let the process (or its caller) restart
        leadershipLost = true;
        log.error("{} lost leadership: stopping the controller", leaderIdentity);
        Operator stopping = operator;
        Thread stopper = new Thread(() -> {
            stopping.stop();
            Runnable then = onLostLeadership;
            if (then != null) {
                then.run();
            }
        }, "trellis-controller-lost-leadership");
        stopper.start();
    }

    /** What to do after leadership was lost and the controller stopped ({@code trellis controller} exits). */
    public TrellisController onLostLeadership(Runnable action) {
        this.onLostLeadership = action;
        return this;
    }

    /** Whether this replica reconciles: it leads, or leader election is off. */
    public boolean isLeading() {
        return !config.leaderElection() || leading;
    }

    /** This replica's identity in the Lease: the pod name (HOSTNAME) and a random suffix, as controller-runtime's. */
    public String leaderIdentity() {
        return leaderIdentity;
    }

    private static String newLeaderIdentity() {
        String host = System.getenv("HOSTNAME");
        String suffix = UUID.randomUUID().toString();
        return (host == null || host.isBlank() ? "trellis-controller" : host) + "_" + suffix;
    }

    /** The metrics server's address (its port when the configured one was 0), or null when off. */
    public InetSocketAddress metricsAddress() {
        return metricsServer == null ? null : metricsServer.getAddress();
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
        answer(exchange, status, "text/plain; charset=utf-8", body + "\n");
    }

    private static void answer(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        closing = true;
        crdWatch.close();
        synchronized (this) { // waits for a rebuild in progress, then stops what it started
            if (operator != null) {
                operator.stop();
            }
        }
        if (probes != null) {
            probes.stop(0);
        }
        if (metricsServer != null) {
            metricsServer.stop(0);
        }
        if (ownsLatticeClient) {
            lattice.close();
            if (acm != null) {
                acm.close();
            }
        }
    }

    /**
     * The Kubernetes kinds the registered reconcilers watch, primary and secondary (their informer event sources), and
     * CustomResourceDefinitions while {@link CrdWatch} watches them:
     * what the controller's RBAC must let it get, list and watch ({@link ControllerPermissions}; checked against
     * deploy/kubernetes by trellis-cli's KubernetesManifestsTest).
     */
    public java.util.Set<Class<? extends HasMetadata>> watchedKinds() {
        java.util.Set<Class<? extends HasMetadata>> kinds = new java.util.LinkedHashSet<>();
        if (crdWatch.watching()) {
            kinds.add(io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition.class);
        }
        Operator current = operator;
        if (current == null) {
            return kinds;
        }
        for (io.javaoperatorsdk.operator.RegisteredController<?> controller : current.getRegisteredControllers()) {
            kinds.add(controller.getConfiguration().getResourceClass());
            for (var source : controller.getControllerHealthInfo().eventSourceHealthIndicators().values()) {
                if (source instanceof io.javaoperatorsdk.operator.processing.event.source.EventSource<?, ?> events
                        && HasMetadata.class.isAssignableFrom(events.resourceType())) {
                    kinds.add(events.resourceType().asSubclass(HasMetadata.class));
                }
            }
        }
        return kinds;
    }
}
