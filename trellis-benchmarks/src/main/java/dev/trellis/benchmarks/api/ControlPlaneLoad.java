package dev.trellis.benchmarks.api;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.identity.IdentityDirectory;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The control plane's load harness: a whole control plane in-process on 127.0.0.1, driven over HTTP by the AWS
 * SDK's Lattice client, on H2 and on PostgreSQL, with each store's raw JDBC commit rate measured in the same run as
 * the baseline the API figures are divided by. Run it with {@code ./bench control-plane}; {@link LoadOptions#USAGE}
 * and docs/benchmarks-control-plane.md say what each phase measures.
 */
public final class ControlPlaneLoad {

    static final String REGION = LatticeClients.REGION.id();
    static final String ACCOUNT = "111122223333";
    static final int TARGETS_PER_GROUP = 10;

    /** Everything measured on one store. {@code api} and {@code raw} are keyed by the number of clients. */
    record StoreResult(String store, String settings, Map<Integer, TimedRun.Result> raw,
                       Map<Integer, TimedRun.Result> api, ServiceFleet.Result fleet, long heapBeforeFleet,
                       long heapAfterFleet, OptionalLong storeBytesAfterFleet, OptionalLong storeBytesClosed,
                       OptionalLong storeBytesCompacted) {
    }

    private final LoadOptions options;

    private ControlPlaneLoad(LoadOptions options) {
        this.options = options;
    }

    public static void main(String[] args) {
        LoadOptions options;
        try {
            options = LoadOptions.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("control-plane-load: " + e.getMessage());
            System.err.println();
            System.err.print(LoadOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.print(LoadOptions.USAGE);
            return;
        }
        int status;
        try {
            status = new ControlPlaneLoad(options).run();
        } catch (Exception e) {
            System.err.println("control-plane-load: failed: " + e);
            e.printStackTrace();
            status = 1;
        }
        // SDK and pool threads may linger; the report is written, so end here.
        System.exit(status);
    }

    private int run() throws Exception {
        LoadReport.Environment environment = LoadReport.Environment.capture();
        progress("stores %s; clients %s; %d s warm-up + %d s per measured run; %,d services (limit %d s);"
                        + " at most about %d s of measurement plus setup",
                options.stores(), options.clients(), options.warmup().toSeconds(), options.duration().toSeconds(),
                options.services(), options.fleetLimit().toSeconds(), options.budget().toSeconds());
        Instant started = Instant.now();
        Warmup warmup = options.jvmWarmup().isZero() ? null : warmUpJvm();
        List<StoreResult> results = new ArrayList<>();
        for (String kind : options.stores()) {
            try (StoreUnderTest store = kind.equals("h2")
                    ? StoreUnderTest.h2()
                    : StoreUnderTest.postgres(options.postgresUrl().orElseThrow())) {
                results.add(measure(store));
            }
        }
        String report = LoadReport.markdown(environment.finish(Duration.between(started, Instant.now())), options,
                warmup, results);
        System.out.print(report);
        Path output = options.output().toAbsolutePath();
        Files.createDirectories(output.getParent());
        Files.writeString(output, report);
        progress("report written to %s", output);
        boolean clean = results.stream().allMatch(r -> r.fleet().complete()
                && r.api().values().stream().allMatch(a -> a.errors() == 0)
                && r.raw().values().stream().allMatch(a -> a.errors() == 0));
        return clean ? 0 : 1;
    }

    /** How the JVM warm-up went: its length, rounds, and whether the JIT settled before the time limit. */
    record Warmup(Duration elapsed, int rounds, boolean settled, long lastRoundJitMillis, long lastRoundMillis) {
    }

    /** A warm-up round: this long of phase 1's calls, then as long of phase 2's. */
    private static final Duration WARMUP_SLICE = Duration.ofSeconds(4);

    /**
     * Runs both API workloads, unmeasured, on a throwaway H2 control plane until the JIT has settled: a round of
     * {@link #WARMUP_SLICE} of target churn and as long of service creation, repeated until the JIT compilers were
     * busy for less than 5 % of a round (at least two rounds, at most {@code --jvm-warmup}). Without it the first
     * figures measure partly interpreted code: on a busy 2-core machine, churn's CPU time per call was seen to fall
     * from 24 ms to under 3 ms over two minutes as C2 worked through its queue.
     */
    private Warmup warmUpJvm() throws Exception {
        progress("JVM warm-up on a throwaway H2 control plane: rounds of %d s of phase 1 and %d s of phase 2 calls"
                + " until the JIT settles, at most %d s", WARMUP_SLICE.toSeconds(), WARMUP_SLICE.toSeconds(),
                options.jvmWarmup().toSeconds());
        long start = System.nanoTime();
        long deadline = start + options.jvmWarmup().toNanos();
        ControlPlaneConfig roomy = config(100_000);
        int rounds = 0;
        int nextService = 0;
        long jit = -1;
        long wall = 0;
        boolean settled = false;
        try (StoreUnderTest store = StoreUnderTest.h2();
             ControlPlane controlPlane = store.startControlPlane("warmup", roomy);
             LatticeClients clients = clients(controlPlane)) {
            List<TimedRun.Operation> churn = TargetChurn.operations(clients, options.maxClients(), TARGETS_PER_GROUP);
            PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
            while (!settled && System.nanoTime() < deadline) {
                long roundStart = System.nanoTime();
                long jitFrom = TimedRun.jitMillis();
                TimedRun.Result r = TimedRun.run(churn, Duration.ZERO, WARMUP_SLICE);
                ServiceFleet.Result f = ServiceFleet.create(clients, nextService, 50_000, TARGETS_PER_GROUP,
                        WARMUP_SLICE, "JVM warm-up", quiet);
                nextService += f.created();
                rounds++;
                wall = (System.nanoTime() - roundStart) / 1_000_000;
                jit = jitFrom < 0 ? -1 : TimedRun.jitMillis() - jitFrom;
                settled = rounds >= 2 && jit >= 0 && jit < wall / 20;
                progress("  round %d: churn %,.0f calls/s at %.2f CPU ms/call; %,d services; JIT busy %s", rounds,
                        r.perSecond(), r.cpuNanosPerCall() / 1e6, f.created(),
                        jit < 0 ? "unknown" : (100 * jit / Math.max(1, wall)) + " % of the round");
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        if (!settled) {
            progress("JVM warm-up: the JIT had not settled after %d s; the first figures include compilation",
                    elapsed.toSeconds());
        }
        return new Warmup(elapsed, rounds, settled, jit, wall);
    }

    private StoreResult measure(StoreUnderTest store) throws SQLException, InterruptedException, IOException {
        String name = store.name();
        Map<Integer, TimedRun.Result> raw = new LinkedHashMap<>();
        Map<Integer, TimedRun.Result> api = new LinkedHashMap<>();
        try (ControlPlane controlPlane = store.startControlPlane("phase1", config());
             LatticeClients clients = clients(controlPlane)) {
            List<TimedRun.Operation> churn = TargetChurn.operations(clients, options.maxClients(), TARGETS_PER_GROUP);
            // Each baseline runs right before the API run it is compared with (the control plane idles meanwhile),
            // so both see much the same machine when other work comes and goes.
            for (int n : options.clients()) {
                String s = n == 1 ? "" : "s";
                progress("%s baseline: raw JDBC commits, %d thread%s", name, n, s);
                raw.put(n, report(name + " raw", RawCommits.measure(store, n, options.warmup(), options.duration())));
                progress("%s phase 1: RegisterTargets/DeregisterTargets, %d client%s", name, n, s);
                api.put(n, report(name + " API", TimedRun.run(churn.subList(0, n), options.warmup(),
                        options.duration())));
            }
        }

        ServiceFleet.Result fleet;
        long heapBefore;
        long heapAfter;
        OptionalLong bytesAfterFleet;
        try (ControlPlane controlPlane = store.startControlPlane("phase2", config());
             LatticeClients clients = clients(controlPlane)) {
            // One untimed call per client first: connections open, the server's SigV4 key cache is warm.
            for (int i = 0; i < clients.size(); i++) {
                clients.get(i).listServiceNetworks(r -> { });
            }
            heapBefore = heapUsedAfterGc();
            progress("%s phase 2: %,d services with a listener, 2 rules and 2 target groups of %d targets,"
                    + " %d clients", name, options.services(), TARGETS_PER_GROUP, clients.size());
            fleet = ServiceFleet.create(clients, 0, options.services(), TARGETS_PER_GROUP, options.fleetLimit(),
                    name + " phase 2", System.err);
            heapAfter = heapUsedAfterGc();
            bytesAfterFleet = store.controlPlaneStoreBytes("phase2");
            progress("%s phase 2: %,d services in %.1f s; heap after GC %s before, %s after", name, fleet.created(),
                    fleet.elapsed().toMillis() / 1000.0, LoadReport.mib(heapBefore), LoadReport.mib(heapAfter));
        }
        OptionalLong bytesClosed = store.controlPlaneStoreBytes("phase2");
        OptionalLong bytesCompacted = store.compactedStoreBytes("phase2");
        return new StoreResult(name, store.settings(), raw, api, fleet, heapBefore, heapAfter, bytesAfterFleet,
                bytesClosed, bytesCompacted);
    }

    /** Lattice's defaults, with room for the fleet and phase 1's target groups. */
    private ControlPlaneConfig config() {
        return config(options.services());
    }

    private ControlPlaneConfig config(int services) {
        ControlPlaneConfig.Quotas quotas = ControlPlaneConfig.Quotas.LATTICE_DEFAULTS
                .with("services-per-region", Math.max(2000, services))
                .with("target-groups-per-region", 2 * services + options.maxClients() + 10);
        return new ControlPlaneConfig("aws", REGION, ACCOUNT, ControlPlaneConfig.defaultDnsSuffix(REGION), quotas);
    }

    private LatticeClients clients(ControlPlane controlPlane) {
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow(
                () -> new IllegalStateException("the control plane did not bootstrap an admin: its store is not new"));
        return new LatticeClients(controlPlane.endpoint(), admin, options.maxClients());
    }

    private static TimedRun.Result report(String what, TimedRun.Result result) {
        boolean none = result.latencies().count() == 0;
        progress("  %s: %,.0f/s over %d thread%s, p50 %s ms, p99 %s ms, %.3f CPU ms each, JIT %d ms%s", what,
                result.perSecond(), result.threads(), result.threads() == 1 ? "" : "s",
                LoadReport.ms(none ? 0 : result.latencies().percentile(50)),
                LoadReport.ms(none ? 0 : result.latencies().percentile(99)), result.cpuNanosPerCall() / 1e6,
                result.jitMillis(),
                result.errors() == 0 ? "" : "; " + result.errors() + " errors, first: " + result.firstError());
        return result;
    }

    /**
     * The heap in use after full collections: what the JVM (control plane, store driver, H2's page cache when H2
     * is the store, and this harness's clients) keeps alive.
     */
    static long heapUsedAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            memory.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    static void progress(String format, Object... args) {
        System.err.println("control-plane-load: " + String.format(format, args));
    }
}
