package dev.trellis.benchmarks.gateway;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.trellis.benchmarks.wrk.ProcessCpu;
import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.GatewayServer;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.LeakDetection;
import dev.trellis.gateway.ThreadPriorities;
import dev.trellis.model.snapshot.SnapshotCodec;
import dev.trellis.model.snapshot.SnapshotDecoder;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.management.NotificationEmitter;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;

/**
 * {@code ./bench snapshot-memory}: does a snapshot of 2,000 services and 50,000 targets fit in a 256 MB heap, and
 * does swapping it in pause traffic for more than 10 ms (issue 5, "Performance")?
 *
 * <p>One JVM (run it with {@code -Xmx256m}; {@code ./bench} does) holds a gateway with one event-loop thread
 * serving the datastore service to an in-process {@link BenchBackend}, and a {@link SteadyClient} keeping requests
 * flowing. The big snapshot ({@link BenchSnapshots#large}) is encoded to JSON once, as the control plane would send
 * it; then, with traffic flowing, it is streamed through a {@link SnapshotDecoder} and swapped in through
 * {@link GatewaySnapshots#swap} — what the gateway's snapshot client does: first once (the first load), then
 * {@code --swaps} times the same bytes again, then {@code --warmup-swaps} and {@code --changed-swaps} revisions
 * that each change a few services and groups ({@link BenchSnapshots#changed}); the warm-up's are not judged. A
 * {@link LoopProbe} on the gateway's event loop measures how long the gateway could not serve (the target is judged
 * on it); the client's latencies and response gaps during the swaps are compared with a window of the same traffic
 * without swaps, and every GC pause is recorded from the collectors' notifications. Where it runs as root, a
 * {@link MachineProbe} at real-time priority tells the machine's own stalls from the gateway's. Everything here
 * (backend, client, JSON bytes) shares the 256 MB with the gateway, so the heap figures are an upper bound.
 */
public final class SnapshotMemory {

    private static final double PAUSE_BUDGET_MILLIS = 10;
    private static final String USAGE = """
            ./bench snapshot-memory [options]: a big snapshot in a 256 MB heap, swapped in under traffic
              --services N            services in the big snapshot (2000)
              --target-groups N       target groups besides the datastore's (2000)
              --targets-per-group N   targets in each of them (25)
              --callers N             SigV4 callers with identity policies (200)
              --swaps N               swaps of the very same JSON again (20)
              --changed-swaps N       swaps of changed revisions, each from the one before (20)
              --warmup-swaps N        changed revisions swapped in first, reported but not judged: the first
                                      changes run code the JIT has not compiled yet (5)
              --weight-shifts N       canary weight shifts per changed revision (20)
              --target-changes N      groups that gain or lose a target per changed revision (50)
              --quiet-seconds N       the window of traffic without swaps the others are compared with (10)
              --swap-interval-ms N    between two swaps (500)
              --connections N         keep-alive client connections (8)
              --load F                traffic rate as a fraction of the closed-loop rate the warm-up measures
                                      (0.5); 0 keeps the closed loop, the machine saturated
              --reference DIR         ../shared/reference, for the walkthrough's auth policies
              --output FILE           also write the report there
            """;
    /**
     * One decoder for all swaps, as the gateway's snapshot client has: each snapshot is decoded against the one
     * before (unchanged entries are not decoded again and keep their identity, which the compile then reuses).
     */
    private static final SnapshotDecoder DECODER = new SnapshotDecoder();

    private record GcPause(String collector, String cause, long startMillis, long durationMillis) {
    }

    private SnapshotMemory() {
    }

    public static void main(String[] args) throws Exception {
        // as the trellis process runs its gateway: Netty's leak detection off (LeakDetection)
        LeakDetection.offUnlessConfigured();
        int services = 2_000;
        int groups = 2_000;
        int targetsPerGroup = 25;
        int callers = 200;
        int swaps = 20;
        int changedSwaps = 20;
        int warmupSwaps = 5;
        int weightShifts = 20;
        int targetChanges = 50;
        long quietSeconds = 10;
        long swapIntervalMillis = 500;
        int connections = 8;
        double load = 0.5;
        Path reference = Path.of("../shared/reference");
        Path output = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--services" -> services = Integer.parseInt(BenchGateway.value(args, ++i, args[i - 1]));
                case "--target-groups" -> groups = Integer.parseInt(BenchGateway.value(args, ++i, args[i - 1]));
                case "--targets-per-group" -> targetsPerGroup = Integer.parseInt(BenchGateway.value(args, ++i,
                        args[i - 1]));
                case "--callers" -> callers = Integer.parseInt(BenchGateway.value(args, ++i, args[i - 1]));
                case "--swaps" -> swaps = Integer.parseInt(BenchGateway.value(args, ++i, args[i - 1]));
                case "--changed-swaps" -> changedSwaps = Integer.parseInt(BenchGateway.value(args, ++i, args[i - 1]));
                case "--warmup-swaps" -> warmupSwaps = Integer.parseInt(BenchGateway.value(args, ++i, args[i - 1]));
                case "--weight-shifts" -> weightShifts = Integer.parseInt(BenchGateway.value(args, ++i, args[i - 1]));
                case "--target-changes" -> targetChanges = Integer.parseInt(BenchGateway.value(args, ++i,
                        args[i - 1]));
                case "--quiet-seconds" -> quietSeconds = Long.parseLong(BenchGateway.value(args, ++i, args[i - 1]));
                case "--swap-interval-ms" -> swapIntervalMillis = Long.parseLong(BenchGateway.value(args, ++i,
                        args[i - 1]));
                case "--connections" -> connections = Integer.parseInt(BenchGateway.value(args, ++i, args[i - 1]));
                case "--load" -> load = Double.parseDouble(BenchGateway.value(args, ++i, args[i - 1]));
                case "--reference" -> reference = Path.of(BenchGateway.value(args, ++i, args[i - 1]));
                case "--output" -> output = Path.of(BenchGateway.value(args, ++i, args[i - 1]));
                case "--help", "-h" -> {
                    System.out.print(USAGE);
                    System.exit(0);
                }
                default -> {
                    System.err.print("unknown option " + args[i] + "\n" + USAGE);
                    System.exit(2);
                }
            }
        }
        List<GcPause> pauses = Collections.synchronizedList(new ArrayList<>());
        listenToGc(pauses);
        StringBuilder report = new StringBuilder();
        long maxHeap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax();
        BenchSnapshots.WalkthroughPolicies policies = BenchSnapshots.WalkthroughPolicies.read(reference);

        try (BenchBackend backend = BenchBackend.start("127.0.0.1", 0)) {
            GatewaySnapshots snapshots = new GatewaySnapshots(BenchSnapshots.datastore(backend.port(), null));
            GatewayConfig config = GatewayConfig.builder().bindAddress("127.0.0.1").mapPort(
                    BenchSnapshots.LISTENER_PORT, 0).ioThreads(1).build();
            try (GatewayServer server = new GatewayServer(config, snapshots).start()) {
                int port = server.localPort(BenchSnapshots.LISTENER_PORT);
                long heapSmall = usedAfterGc();

                long t0 = System.nanoTime();
                VpcSnapshot big = BenchSnapshots.large(2, backend.port(), services, groups, targetsPerGroup, callers,
                        policies);
                int targets = big.targetGroups().stream().mapToInt(g -> g.targets().size()).sum();
                byte[] json = SnapshotCodec.encode(big);
                // The changed revisions, each from the one before, as files: holding 20 JSONs of 8.5 MB would not
                // fit the heap, and the gateway decodes each as it streams in anyway (the file is read as a
                // response's body is, while decoding).
                List<Path> changedFiles = new ArrayList<>();
                Path dir = Files.createTempDirectory("snapshot-memory");
                VpcSnapshot revision = big;
                for (int i = 1; i <= warmupSwaps + changedSwaps; i++) {
                    revision = BenchSnapshots.changed(revision, i, weightShifts, targetChanges, targetsPerGroup);
                    Path file = dir.resolve("revision-" + revision.revision() + ".json");
                    Files.write(file, SnapshotCodec.encode(revision));
                    file.toFile().deleteOnExit();
                    changedFiles.add(file);
                }
                dir.toFile().deleteOnExit();
                big = null;
                revision = null;
                double buildMillis = (System.nanoTime() - t0) / 1e6;
                long heapWithJson = usedAfterGc();
                log(String.format(Locale.ROOT, "snapshot: %d services, %d target groups, %d targets, %d callers; "
                        + "JSON %.1f MB (built and encoded, with %d changed revisions, in %.0f ms)", services,
                        groups + 1, targets, callers, json.length / 1e6, warmupSwaps + changedSwaps, buildMillis));

                // the swaps below run on this thread, as the gateway's snapshot client runs them on its own: at the
                // same priority (ThreadPriorities; -Dtrellis.snapshot.nice=0 measures without it)
                ThreadPriorities.lowerCurrentThread();
                String priorities = String.format(Locale.ROOT, "event loop at nice %d, swapping thread at nice %d",
                        server.eventLoops().next().submit(ThreadPriorities::currentNice).get(),
                        ThreadPriorities.currentNice());
                log("thread priorities: " + priorities);
                SteadyClient.Window warm = new SteadyClient.Window("warm-up");
                SteadyClient client = SteadyClient.start(port, BenchSnapshots.HOST, connections, warm);
                LoopProbe probe = LoopProbe.start(server.eventLoops().next(), new LoopProbe.Window("warm-up"));
                MachineProbe machine = MachineProbe.start();
                Thread.sleep(5_000);
                // The latency target is judged at half the most this machine serves, as the proxy's p99 target is
                // (at 50 % of the maximum rate): a saturated machine adds the swap's CPU to every request.
                client.switchTo(new SteadyClient.Window("paced warm-up"));
                double closedLoopRate = warm.count() / warm.seconds();
                String traffic;
                if (load > 0) {
                    client.pace(closedLoopRate * load);
                    traffic = String.format(Locale.ROOT, "%d connections paced at %.0f req/s (%.0f %% of the "
                            + "closed-loop %.0f req/s); latency counted from each request's due time", connections,
                            closedLoopRate * load, load * 100, closedLoopRate);
                    Thread.sleep(2_000);
                } else {
                    traffic = String.format(Locale.ROOT, "%d connections, closed loop (%.0f req/s in the warm-up)",
                            connections, closedLoopRate);
                }
                log("traffic: " + traffic);
                // The first load of the big snapshot (from the one-service one) is the whole work whatever a
                // gateway reuses: reported, not judged. The windows after it serve the big snapshot throughout.
                byte[][] held = {json}; // dropped below, before the heap is measured
                json = null;
                Phase firstLoad = swapPhase("the first load of the big snapshot", client, probe, snapshots, pauses,
                        1, 3_000, i -> new ByteArrayInputStream(held[0]), false);
                SteadyClient.Window quiet = new SteadyClient.Window("no swaps");
                LoopProbe.Window quietLoop = new LoopProbe.Window("no swaps");
                int pausesBeforeQuiet = pauses.size();
                Map<String, Double> cpuBeforeQuiet = threadCpu();
                client.switchTo(quiet);
                probe.switchTo(quietLoop);
                log("traffic without swaps for " + quietSeconds + " s");
                Thread.sleep(quietSeconds * 1_000);
                List<GcPause> quietPauses = new ArrayList<>(pauses.subList(pausesBeforeQuiet, pauses.size()));
                Map<String, Double> quietCpu = since(cpuBeforeQuiet);

                List<Phase> phases = new ArrayList<>();
                phases.add(swapPhase("the same JSON again (" + swaps + " swaps)", client, probe, snapshots, pauses,
                        swaps, swapIntervalMillis, i -> new ByteArrayInputStream(held[0]), true));
                // The first changed revisions decode and compile entries for the first time since the JVM started,
                // in code the JIT is still compiling (C2 at full priority, tens of compilations per swap): a
                // gateway does that once in its life, so those swaps are shown apart and not judged.
                if (warmupSwaps > 0 && phases.get(0).failure() == null) {
                    phases.add(swapPhase("changed revisions, JIT warm-up (" + warmupSwaps + " swaps)", client,
                            probe, snapshots, pauses, warmupSwaps, swapIntervalMillis,
                            i -> Files.newInputStream(changedFiles.get(i)), false));
                }
                int measuredFrom = warmupSwaps;
                if (phases.get(phases.size() - 1).failure() == null) {
                    phases.add(swapPhase(String.format(Locale.ROOT, "changed revisions (%d swaps: %d canary "
                            + "shifts, %d groups ±1 target, 1 new service each)", changedSwaps, weightShifts,
                            targetChanges), client, probe, snapshots, pauses, changedSwaps, swapIntervalMillis,
                            i -> Files.newInputStream(changedFiles.get(measuredFrom + i)), true));
                }
                client.stop();
                client.close();
                probe.switchTo(new LoopProbe.Window("done"));
                probe.close();
                if (machine != null) {
                    machine.close();
                }

                held[0] = null;
                long heapBig = usedAfterGc();
                String histogram = classHistogram(25);

                report.append(render(traffic, priorities, services, groups + 1, targets, callers, maxHeap, heapSmall,
                        heapWithJson, heapBig, quiet, quietLoop, quietPauses, quietCpu, firstLoad, phases, histogram,
                        snapshots.current().revision(), machine));
            }
        }
        System.out.println(report);
        if (output != null) {
            Files.createDirectories(output.toAbsolutePath().getParent());
            Files.writeString(output, report);
        }
        // Netty's and the JVM's remaining threads must not keep the process alive.
        System.exit(0);
    }

    /** One window of traffic with swaps: what the client saw, what each swap cost, the GC pauses in it. */
    private record Phase(String name, SteadyClient.Window window, LoopProbe.Window loop, double[] decodeMillis,
                         double[] swapMillis, double[] cpuMillis, double[] allocatedMb, List<GcPause> pauses,
                         Map<String, Double> threadCpu, boolean judged, String failure) {
    }

    /** CPU time and allocation of the swapping thread: what a swap costs, whatever else the machine runs. */
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** The text of the {@code swap}th snapshot of a phase, as a stream: the gateway decodes a response's body. */
    private interface SnapshotText {
        InputStream open(int swap) throws IOException;
    }

    /**
     * Swaps {@code count} snapshots in, {@code intervalMillis} apart, on this thread (as the gateway's snapshot
     * client does on its own): the text streamed through the decoder, then {@link GatewaySnapshots#swap}. A phase not
     * {@code judged} is reported without a PASS or FAIL.
     */
    private static Phase swapPhase(String name, SteadyClient client, LoopProbe probe, GatewaySnapshots snapshots,
                                   List<GcPause> pauses, int count, long intervalMillis, SnapshotText source,
                                   boolean judged) throws Exception {
        SteadyClient.Window window = new SteadyClient.Window(name);
        SnapshotDecoder decoder = DECODER;
        int pausesBefore = pauses.size();
        Map<String, Double> cpuBefore = threadCpu();
        LoopProbe.Window loop = new LoopProbe.Window(name);
        client.switchTo(window);
        probe.switchTo(loop);
        log("swapping " + name);
        double[] decodeMillis = new double[count];
        double[] swapMillis = new double[count];
        double[] cpuMillis = new double[count];
        double[] allocatedMb = new double[count];
        String failure = null;
        try {
            for (int i = 0; i < count; i++) {
                long cpu = THREADS.getCurrentThreadCpuTime();
                long allocated = THREADS.getCurrentThreadAllocatedBytes();
                long b = System.nanoTime();
                VpcSnapshot decoded;
                try (InputStream text = source.open(i)) {
                    decoded = decoder.decode(text);
                }
                long c = System.nanoTime();
                snapshots.swap(decoded);
                long d = System.nanoTime();
                cpuMillis[i] = (THREADS.getCurrentThreadCpuTime() - cpu) / 1e6;
                allocatedMb[i] = (THREADS.getCurrentThreadAllocatedBytes() - allocated) / 1048576.0;
                decodeMillis[i] = (c - b) / 1e6;
                swapMillis[i] = (d - c) / 1e6;
                log(String.format(Locale.ROOT, "swap %d (revision %d): decode %.1f ms (%d entries decoded, %d "
                        + "reused), swap (compile + publish) %.1f ms; CPU %.1f ms, allocated %.1f MB", i + 1,
                        decoded.revision(), decodeMillis[i], decoder.decodedEntries(), decoder.reusedEntries(),
                        swapMillis[i], cpuMillis[i], allocatedMb[i]));
                decoded = null;
                Thread.sleep(intervalMillis);
            }
        } catch (OutOfMemoryError e) {
            failure = "OutOfMemoryError during the swaps: " + e.getMessage();
            log(failure);
        }
        return new Phase(name, window, loop, decodeMillis, swapMillis, cpuMillis, allocatedMb,
                new ArrayList<>(pauses.subList(pausesBefore, pauses.size())), since(cpuBefore), judged, failure);
    }

    private static String render(String traffic, String priorities, int services, int groups, int targets,
                                 int callers, long maxHeap,
                                 long heapSmall, long heapWithJson, long heapBig, SteadyClient.Window quiet,
                                 LoopProbe.Window quietLoop,
                                 List<GcPause> quietPauses, Map<String, Double> quietCpu, Phase firstLoad,
                                 List<Phase> phases, String histogram, long revision, MachineProbe machine) {
        StringBuilder out = new StringBuilder("## ./bench snapshot-memory\n\n");
        out.append(String.format(Locale.ROOT, "%d services, %d target groups, %d targets, %d callers; max heap "
                + "%.0f MB; %s; load average %s.%n%n", services, groups, targets, callers, maxHeap / 1048576.0,
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                        .reduce((a, b) -> a + " + " + b).orElse("?"), loadAverage()));
        out.append("Traffic: ").append(traffic).append(".\n\n");
        out.append("Threads: ").append(priorities).append(" (`ThreadPriorities`).\n\n");
        out.append("| heap used after a full GC | MB |\n|---|---:|\n");
        out.append(String.format(Locale.ROOT, "| gateway serving the one-service snapshot | %.1f |%n", mb(heapSmall)));
        out.append(String.format(Locale.ROOT, "| + the big snapshot's JSON bytes held | %.1f |%n", mb(heapWithJson)));
        out.append(String.format(Locale.ROOT, "| gateway serving the big snapshot (JSON dropped), revision %d | %.1f |%n",
                revision, mb(heapBig)));
        out.append(String.format(Locale.ROOT, "| → the big snapshot costs (decoded + compiled) | %.1f |%n%n",
                mb(heapBig - heapSmall)));

        out.append("| traffic window | requests | req/s | p50 | p99 | p99.9 | max latency | longest gap | failures "
                + "| gateway loop: longest delay | its thread then: waiting for a CPU / running; a real-time process "
                + "| ticks > 5 ms "
                + "| ticks > 10 ms |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        List<SteadyClient.Window> windows = new ArrayList<>(List.of(firstLoad.window(), quiet));
        List<LoopProbe.Window> loops = new ArrayList<>(List.of(firstLoad.loop(), quietLoop));
        phases.forEach(p -> {
            windows.add(p.window());
            loops.add(p.loop());
        });
        for (int i = 0; i < windows.size(); i++) {
            SteadyClient.Window w = windows.get(i);
            LoopProbe.Window loop = loops.get(i);
            out.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms "
                    + "| %d | %.2f ms | %s | %d | %d |%n", w.name(), w.count(), w.count() / w.seconds(),
                    w.percentileMillis(0.5), w.percentileMillis(0.99), w.percentileMillis(0.999),
                    w.maxLatencyMillis(), w.maxGapMillis(), w.failures(), loop.maxDelayMillis(),
                    waitAndRun(loop, machine), loop.over5Millis(), loop.over10Millis()));
        }
        out.append(String.format(Locale.ROOT, "%nGC pauses without swaps: %s.%n", pauseSummary(quietPauses)));
        out.append(threadCpuTable(quiet, quietCpu, phases));
        List<Phase> all = new ArrayList<>(List.of(firstLoad));
        all.addAll(phases);
        for (Phase phase : all) {
            out.append(String.format(Locale.ROOT, "%n%s: per swap, decode (the JSON streamed → VpcSnapshot) "
                    + "median %.1f ms, max %.1f ms; swap (compile + publish, on the caller's thread) "
                    + "median %.1f ms, max %.1f ms; CPU of decode + swap median %.1f ms, max %.1f ms; allocated "
                    + "median %.1f MB. GC pauses: %s.%n", phase.name(),
                    median(phase.decodeMillis()), max(phase.decodeMillis()), median(phase.swapMillis()),
                    max(phase.swapMillis()), median(phase.cpuMillis()), max(phase.cpuMillis()),
                    median(phase.allocatedMb()), pauseSummary(phase.pauses())));
        }
        String failure = all.stream().map(Phase::failure).filter(f -> f != null).findFirst().orElse(null);
        boolean fits = failure == null && heapBig < maxHeap;
        out.append("\n| target | measured | result |\n|---|---|---|\n");
        out.append(String.format(Locale.ROOT, "| 2,000 services + 50,000 targets fit in a 256 MB heap | %s | %s |%n",
                failure != null ? failure : String.format(Locale.ROOT, "%.1f MB used after GC of %.0f MB",
                        mb(heapBig), mb(maxHeap)), fits ? "PASS" : "FAIL"));
        for (Phase phase : all) {
            SteadyClient.Window swapping = phase.window();
            double addedLatency = swapping.maxLatencyMillis() - quiet.maxLatencyMillis();
            double addedGap = swapping.maxGapMillis() - quiet.maxGapMillis();
            boolean noPause = phase.failure() == null && phase.loop().maxDelayMillis() <= PAUSE_BUDGET_MILLIS
                    && swapping.failures() == 0;
            out.append(String.format(Locale.ROOT, "| swapping in %s pauses the gateway ≤ 10 ms | the gateway's loop "
                    + "at most %.2f ms late (its thread then waiting for a CPU / running, and how late a real-time "
                    + "process was: %s; %.2f ms without swaps), "
                    + "longest GC pause %d ms; the client's max latency %+.2f ms, longest gap %+.2f ms (vs no swaps) "
                    + "| %s |%n", phase.name(), phase.loop().maxDelayMillis(), waitAndRun(phase.loop(), machine),
                    quietLoop.maxDelayMillis(),
                    phase.pauses().stream().mapToLong(GcPause::durationMillis).max().orElse(0), addedLatency,
                    addedGap, !phase.judged() ? (noPause ? "(pass)" : "(not judged)") : noPause ? "PASS" : "FAIL"));
        }
        out.append("\nLargest classes after the swaps (`GC.class_histogram`, top 25):\n\n```\n").append(histogram)
                .append("```\n");
        return out.toString();
    }

    /**
     * The loop thread's wait for a CPU and run time around its longest delay, and the real-time machine probe's
     * longest delay then, as the report shows them.
     */
    private static String waitAndRun(LoopProbe.Window loop, MachineProbe machine) {
        String thread = loop.longestWaitMillis() < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f / %.2f ms",
                loop.longestWaitMillis(), loop.longestRunMillis());
        if (machine == null) {
            return thread + "; no real-time probe";
        }
        long[] delay = loop.longestDelayNanos();
        long late = machine.longestLateNanos(delay[0], delay[1]);
        return thread + "; " + (late == 0 ? "on time" : String.format(Locale.ROOT, "%.2f ms late", late / 1e6));
    }

    /** CPU seconds so far of this JVM's threads, by kind ({@link ProcessCpu#secondsByThreadKind}). */
    private static Map<String, Double> threadCpu() {
        return ProcessCpu.secondsByThreadKind(ProcessHandle.current().pid());
    }

    /** CPU seconds of each kind of thread since {@code before}. */
    private static Map<String, Double> since(Map<String, Double> before) {
        Map<String, Double> used = new TreeMap<>();
        threadCpu().forEach((kind, seconds) -> used.put(kind, seconds - before.getOrDefault(kind, 0.0)));
        return used;
    }

    /**
     * Who used the CPU in each window, in percent of one core: the gateway's event loop ({@code trellis-io}), the
     * swapping thread (the main thread, {@code java} to the kernel), the client, the backend, the collector's and
     * the JIT's threads. Shows whether
     * a swap slows traffic by taking the loop's CPU, by making work on the loop, or through the collector.
     */
    private static String threadCpuTable(SteadyClient.Window quiet, Map<String, Double> quietCpu,
                                         List<Phase> phases) {
        Map<String, double[]> rows = new TreeMap<>();
        List<Map<String, Double>> columns = new ArrayList<>(List.of(quietCpu));
        List<Double> seconds = new ArrayList<>(List.of(quiet.seconds()));
        for (Phase phase : phases) {
            columns.add(phase.threadCpu());
            seconds.add(phase.window().seconds());
        }
        for (int c = 0; c < columns.size(); c++) {
            for (Map.Entry<String, Double> e : columns.get(c).entrySet()) {
                rows.computeIfAbsent(e.getKey(), k -> new double[columns.size()])[c] =
                        100 * e.getValue() / seconds.get(c);
            }
        }
        StringBuilder out = new StringBuilder("\nCPU by thread, % of one core (`/proc/self/task`, 10-ms ticks):\n\n"
                + "| threads | no swaps |");
        phases.forEach(p -> out.append(' ').append(p.name().replaceFirst(" \\(.*", "")).append(" |"));
        out.append("\n|---|---:|").append("---:|".repeat(phases.size())).append('\n');
        double[] total = new double[columns.size()];
        rows.forEach((kind, percents) -> {
            for (int c = 0; c < percents.length; c++) {
                total[c] += percents[c];
            }
            if (Arrays.stream(percents).max().orElse(0) >= 1) {
                out.append("| ").append(kind).append(" |");
                for (double p : percents) {
                    out.append(String.format(Locale.ROOT, " %.1f |", p));
                }
                out.append('\n');
            }
        });
        out.append("| all |");
        for (double t : total) {
            out.append(String.format(Locale.ROOT, " %.1f |", t));
        }
        return out.append('\n').toString();
    }

    /** Records every collection's pause from the collectors' JMX notifications. */
    private static void listenToGc(List<GcPause> pauses) {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).addNotificationListener((notification, handback) -> {
                if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                    return;
                }
                GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
                        (CompositeData) notification.getUserData());
                // Concurrent work is not a pause: G1's "Concurrent GC" (JDK 20+), ZGC's "ZGC Cycles" bean and
                // Shenandoah's "Shenandoah Cycles" report whole cycles; their "... Pauses" beans report pauses.
                String name = info.getGcName();
                if (!name.contains("Concurrent") && !name.contains("Cycles")) {
                    pauses.add(new GcPause(info.getGcName(), info.getGcCause(), info.getGcInfo().getStartTime(),
                            info.getGcInfo().getDuration()));
                }
            }, null, null);
        }
    }

    private static String pauseSummary(List<GcPause> pauses) {
        if (pauses.isEmpty()) {
            return "none";
        }
        long total = pauses.stream().mapToLong(GcPause::durationMillis).sum();
        GcPause longest = pauses.stream().max((a, b) -> Long.compare(a.durationMillis(), b.durationMillis()))
                .orElseThrow();
        return String.format(Locale.ROOT, "%d pauses, %d ms in all, longest %d ms (%s, %s)", pauses.size(), total,
                longest.durationMillis(), longest.collector(), longest.cause());
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return heap.getUsed();
    }

    /** The JVM's own class histogram (what {@code jcmd <pid> GC.class_histogram} prints), first lines. */
    private static String classHistogram(int lines) {
        try {
            Object text = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            StringBuilder out = new StringBuilder();
            ((String) text).lines().limit(lines + 2L).forEach(line -> out.append(line).append('\n'));
            return out.toString();
        } catch (Exception e) {
            return "(no histogram: " + e + ")\n";
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static double mb(long bytes) {
        return bytes / 1048576.0;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length == 0 ? 0 : sorted[sorted.length / 2];
    }

    private static double max(double[] values) {
        double m = 0;
        for (double v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    private static void log(String message) {
        System.err.println("bench snapshot-memory: " + message);
    }
}
