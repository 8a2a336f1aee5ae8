package dev.trellis.benchmarks.api;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.ForwardAction;
import software.amazon.awssdk.services.vpclattice.model.ListenerProtocol;
import software.amazon.awssdk.services.vpclattice.model.RuleAction;
import software.amazon.awssdk.services.vpclattice.model.RuleMatch;
import software.amazon.awssdk.services.vpclattice.model.Target;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupConfig;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupProtocol;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupType;
import software.amazon.awssdk.services.vpclattice.model.WeightedTargetGroup;

/**
 * Phase 2: creates services the way the Gateway API controller does for an HTTPRoute, one service after another on
 * each client. A service is {@value #CALLS_PER_SERVICE} calls: two IP target groups (CreateTargetGroup, then
 * RegisterTargets with all their targets in one call), the service, an HTTP listener on port 80 whose default
 * action is a fixed 404, and two path rules ({@code /api} to the first group; {@code /canary} to both, 90/10).
 */
final class ServiceFleet {

    static final int CALLS_PER_SERVICE = 8;

    /** What creating the fleet took. {@code created} is less than {@code requested} when the time limit hit. */
    record Result(int requested, int created, long calls, Duration elapsed, Latencies latencies, long cpuNanos,
                  long jitMillis) {

        boolean complete() {
            return created == requested;
        }

        double callsPerSecond() {
            return calls / (elapsed.toNanos() / 1e9);
        }

        /** CPU time of the JVM per call, in nanoseconds; NaN when unknown. */
        double cpuNanosPerCall() {
            return cpuNanos < 0 || calls == 0 ? Double.NaN : (double) cpuNanos / calls;
        }
    }

    private ServiceFleet() {
    }

    /** Creates services {@code first} to {@code first + services - 1} (numbers make their names). */
    static Result create(LatticeClients clients, int first, int services, int targetsPerGroup, Duration limit,
                         String label, PrintStream progress) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger created = new AtomicInteger();
        AtomicLong calls = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        int step = Math.max(1, services / 10);
        long cpuFrom = TimedRun.processCpuNanos();
        long jitFrom = TimedRun.jitMillis();
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        List<Latencies.Recorder> recorders = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < clients.size(); w++) {
            VpcLatticeClient lattice = clients.get(w);
            Latencies.Recorder recorder = new Latencies.Recorder();
            recorders.add(recorder);
            Thread t = new Thread(() -> {
                int i;
                while (!stop.get() && System.nanoTime() < deadline && (i = next.getAndIncrement()) < services) {
                    try {
                        createService(clients, lattice, first + i, targetsPerGroup, recorder);
                    } catch (RuntimeException e) {
                        failure.compareAndSet(null, e);
                        stop.set(true);
                        return;
                    }
                    calls.addAndGet(CALLS_PER_SERVICE);
                    int done = created.incrementAndGet();
                    if (done % step == 0 || done == services) {
                        progress.printf("control-plane-load: %s: %,d/%,d services (%d%%) after %.1f s%n", label, done,
                                services, 100L * done / services, (System.nanoTime() - start) / 1e9);
                    }
                }
            }, "fleet-" + w);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
        for (Thread t : workers) {
            t.join();
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        long cpuTo = TimedRun.processCpuNanos();
        long jitTo = TimedRun.jitMillis();
        if (failure.get() != null) {
            throw new IllegalStateException(label + ": creating the services failed after " + created.get()
                    + " of them: " + failure.get().getMessage(), failure.get());
        }
        if (created.get() < services) {
            progress.printf("control-plane-load: %s: time limit of %d s reached after %,d of %,d services%n", label,
                    limit.toSeconds(), created.get(), services);
        }
        return new Result(services, created.get(), calls.get(), elapsed, Latencies.of(recorders),
                cpuFrom < 0 || cpuTo < 0 ? -1 : cpuTo - cpuFrom, jitTo < 0 ? -1 : jitTo - jitFrom);
    }

    private static void createService(LatticeClients clients, VpcLatticeClient lattice, int i, int targetsPerGroup,
                                      Latencies.Recorder recorder) {
        String name = String.format("app-%06d", i); // Lattice refuses names starting with "svc-"
        // 100 services per VPC, as services of one cluster would share it.
        String vpc = clients.vpc("fleet-" + i / 100);
        String api = targetGroup(lattice, name + "-api", vpc, i, 0, targetsPerGroup, recorder);
        String canary = targetGroup(lattice, name + "-canary", vpc, i, 1, targetsPerGroup, recorder);
        String service = timed(recorder, () -> lattice.createService(r -> r.name(name)).id());
        String listener = timed(recorder, () -> lattice.createListener(r -> r.serviceIdentifier(service).name("http")
                .protocol(ListenerProtocol.HTTP).port(80)
                .defaultAction(a -> a.fixedResponse(f -> f.statusCode(404)))).id());
        timed(recorder, () -> lattice.createRule(r -> r.serviceIdentifier(service).listenerIdentifier(listener)
                .name("api").priority(10).match(pathPrefix("/api")).action(forward(weighted(api, 100)))).id());
        timed(recorder, () -> lattice.createRule(r -> r.serviceIdentifier(service).listenerIdentifier(listener)
                .name("canary").priority(20).match(pathPrefix("/canary"))
                .action(forward(weighted(api, 90), weighted(canary, 10)))).id());
    }

    /** Creates an IP target group on port 8080 and registers its targets, {@code 10.<i>.<group><n>}. */
    static String targetGroup(VpcLatticeClient lattice, String name, String vpc, int i, int group, int targets,
                              Latencies.Recorder recorder) {
        String id = timed(recorder, () -> lattice.createTargetGroup(r -> r.name(name).type(TargetGroupType.IP)
                .config(TargetGroupConfig.builder().protocol(TargetGroupProtocol.HTTP).port(8080)
                        .vpcIdentifier(vpc).build())).id());
        List<Target> list = new ArrayList<>();
        for (int n = 0; n < targets; n++) {
            list.add(Target.builder().id(targetAddress(i, group, n)).build());
        }
        timed(recorder, () -> lattice.registerTargets(r -> r.targetGroupIdentifier(id).targets(list)));
        return id;
    }

    /** A distinct IPv4 address per service (up to 65,536), group (up to 2) and target (up to 100). */
    static String targetAddress(int service, int group, int target) {
        return "10." + ((service >> 8) & 0xff) + "." + (service & 0xff) + "." + (1 + group * 100 + target);
    }

    private static <T> T timed(Latencies.Recorder recorder, Supplier<T> call) {
        long start = System.nanoTime();
        T result = call.get();
        recorder.record(System.nanoTime() - start);
        return result;
    }

    private static RuleMatch pathPrefix(String prefix) {
        return RuleMatch.builder().httpMatch(h -> h.pathMatch(p -> p.match(m -> m.prefix(prefix)))).build();
    }

    private static WeightedTargetGroup weighted(String targetGroupId, int weight) {
        return WeightedTargetGroup.builder().targetGroupIdentifier(targetGroupId).weight(weight).build();
    }

    private static RuleAction forward(WeightedTargetGroup... groups) {
        return RuleAction.builder().forward(ForwardAction.builder().targetGroups(groups).build()).build();
    }
}
