package dev.trellis.benchmarks.api;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/** The markdown report of a {@link ControlPlaneLoad} run: every API figure next to its same-run baseline. */
final class LoadReport {

    private LoadReport() {
    }

    /** Where and when the run happened, for the report's first lines. */
    record Environment(Instant started, String jvm, int cpus, String os, long maxHeap, String collectors,
                       double loadBefore, double loadAfter, Duration elapsed) {

        static Environment capture() {
            Runtime runtime = Runtime.getRuntime();
            return new Environment(Instant.now().truncatedTo(ChronoUnit.SECONDS),
                    System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                    runtime.availableProcessors(),
                    System.getProperty("os.name") + " " + System.getProperty("os.arch"),
                    runtime.maxMemory(),
                    ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                            .collect(Collectors.joining(", ")),
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), Double.NaN, Duration.ZERO);
        }

        Environment finish(Duration elapsed) {
            return new Environment(started, jvm, cpus, os, maxHeap, collectors, loadBefore,
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), elapsed);
        }
    }

    static String markdown(Environment env, LoadOptions options, ControlPlaneLoad.Warmup warmup,
                           List<ControlPlaneLoad.StoreResult> results) {
        StringBuilder md = new StringBuilder();
        md.append("# Control-plane benchmark\n\n");
        md.append(String.format(Locale.ROOT, "Run at %s for %d s: %s, %d CPUs, %s, max heap %s (%s);"
                        + " load average %.2f before, %.2f after.%n", env.started(), env.elapsed().toSeconds(),
                env.jvm(), env.cpus(), env.os(), mib(env.maxHeap()), env.collectors(), env.loadBefore(),
                env.loadAfter()));
        md.append(String.format(Locale.ROOT, "Each measured run: %d s after %d s of warm-up. Clients: the AWS SDK"
                        + " for Java v2 VpcLatticeClient (Apache HTTP client, SigV4 with the admin's key, no retries),"
                        + " one per thread, in the same JVM as the control plane.%n%n",
                options.duration().toSeconds(), options.warmup().toSeconds()));
        if (warmup == null) {
            md.append("No JVM warm-up (`--jvm-warmup 0`): the first figures include JIT compilation.\n\n");
        } else {
            md.append(String.format(Locale.ROOT, "JVM warm-up: %d s (%d rounds) on a throwaway control plane; %s%n%n",
                    warmup.elapsed().toSeconds(), warmup.rounds(), warmup.settled()
                            ? String.format(Locale.ROOT, "the JIT had settled (compiling %d ms of the last %d ms).",
                                    warmup.lastRoundJitMillis(), warmup.lastRoundMillis())
                            : String.format(Locale.ROOT, "**the JIT had not settled** (compiling %d ms of the last"
                                    + " %d ms), so the first figures include compilation.",
                                    warmup.lastRoundJitMillis(), warmup.lastRoundMillis())));
        }
        for (ControlPlaneLoad.StoreResult r : results) {
            md.append("- ").append(r.store()).append(": ").append(r.settings()).append('\n');
        }

        md.append("\n## Summary: API figures as multiples of the same run's raw commits\n\n");
        for (ControlPlaneLoad.StoreResult r : results) {
            md.append("- ").append(r.store()).append(": API writes/s = ");
            md.append(r.api().entrySet().stream().map(e -> {
                TimedRun.Result raw = r.raw().get(e.getKey());
                return ratio(e.getValue().perSecond(), raw == null ? Double.NaN : raw.perSecond())
                        + " raw commits/s with " + clients(e.getKey());
            }).collect(Collectors.joining(", ")));
            TimedRun.Result rawMax = r.raw().get(options.maxClients());
            md.append("; creating services ran at ").append(ratio(r.fleet().callsPerSecond(),
                    rawMax == null ? Double.NaN : rawMax.perSecond()))
                    .append(" raw commits/s (").append(threads(options.maxClients())).append(")")
                    .append("; heap after phase 2 = ").append(ratio(r.heapAfterFleet(), r.heapBeforeFleet()))
                    .append(" heap before it.\n");
        }

        md.append("\n## Phase 1: mutating API calls (RegisterTargets / DeregisterTargets, alternating)\n\n");
        md.append("CPU ms/call: CPU time of the whole JVM (clients and server; with H2 also the database, with"
                + " PostgreSQL not) during the measured period, per call. JIT %: time the JIT compilers spent"
                + " compiling during the measured period, as a share of it (more than a few % means the code was"
                + " not yet compiled).\n\n");
        md.append("| store | clients | calls/s | × raw commits/s | p50 ms | p99 ms | max ms | p99 × raw p99"
                + " | CPU ms/call | × raw | JIT % | errors |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ControlPlaneLoad.StoreResult r : results) {
            r.api().forEach((n, api) -> {
                TimedRun.Result raw = r.raw().get(n);
                md.append(row(r.store(), String.valueOf(n), rate(api.perSecond()),
                        raw == null ? "–" : ratio(api.perSecond(), raw.perSecond()),
                        p(api, 50), p(api, 99), p(api, 100),
                        raw == null || raw.latencies().count() == 0 || api.latencies().count() == 0 ? "–"
                                : ratio(api.latencies().percentile(99), raw.latencies().percentile(99)),
                        cpuMs(api.cpuNanosPerCall()),
                        raw == null ? "–" : ratio(api.cpuNanosPerCall(), raw.cpuNanosPerCall()),
                        jitShare(api.jitMillis(), api.measured()), String.valueOf(api.errors())));
            });
        }

        md.append("\n## Baseline: raw durable commits through JDBC (one ").append(RawCommits.PAYLOAD_CHARS)
                .append("-character insert per transaction)\n\n");
        md.append("| store | threads | commits/s | p50 ms | p99 ms | max ms | CPU ms/commit | JIT % | errors |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ControlPlaneLoad.StoreResult r : results) {
            r.raw().forEach((n, raw) -> md.append(row(r.store(), String.valueOf(n), rate(raw.perSecond()),
                    p(raw, 50), p(raw, 99), p(raw, 100), cpuMs(raw.cpuNanosPerCall()),
                    jitShare(raw.jitMillis(), raw.measured()), String.valueOf(raw.errors()))));
        }

        md.append(String.format(Locale.ROOT, "%n## Phase 2: creating %,d services (each a listener, 2 rules and"
                        + " 2 target groups of %d targets; %d calls), %s%n%n", options.services(),
                ControlPlaneLoad.TARGETS_PER_GROUP, ServiceFleet.CALLS_PER_SERVICE, clients(options.maxClients())));
        md.append("| store | services | calls | time s | calls/s | × raw commits/s | p50 ms | p99 ms | max ms"
                + " | CPU ms/call | JIT % |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ControlPlaneLoad.StoreResult r : results) {
            ServiceFleet.Result f = r.fleet();
            TimedRun.Result raw = r.raw().get(options.maxClients());
            md.append(row(r.store(),
                    String.format(Locale.ROOT, "%,d", f.created()) + (f.complete() ? "" : " of "
                            + String.format(Locale.ROOT, "%,d (time limit)", f.requested())),
                    String.format(Locale.ROOT, "%,d", f.calls()),
                    String.format(Locale.ROOT, "%.1f", f.elapsed().toMillis() / 1000.0),
                    rate(f.callsPerSecond()), raw == null ? "–" : ratio(f.callsPerSecond(), raw.perSecond()),
                    p(f.latencies(), 50), p(f.latencies(), 99), p(f.latencies(), 100),
                    cpuMs(f.cpuNanosPerCall()), jitShare(f.jitMillis(), f.elapsed())));
        }

        md.append("\n## Heap and store size after phase 2\n\n");
        md.append("Heap: `MemoryMXBean` heap used after `System.gc()`, in the benchmark's JVM (control plane, its"
                + " store's driver and pool, H2's page cache for H2, and the clients).\n\n");
        md.append("Store on disk: H2's file `trellis.mv.db` while the server runs, after it stopped, and after"
                + " `SHUTDOWN COMPACT` (live data only); PostgreSQL's tables with indexes and TOAST"
                + " (`pg_total_relation_size`, no WAL).\n\n");
        md.append("| store | heap before | heap after | after ÷ before | per service | on disk | after stop"
                + " | compacted |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ControlPlaneLoad.StoreResult r : results) {
            long growth = r.heapAfterFleet() - r.heapBeforeFleet();
            int created = r.fleet().created();
            md.append(row(r.store(), mib(r.heapBeforeFleet()), mib(r.heapAfterFleet()),
                    ratio(r.heapAfterFleet(), r.heapBeforeFleet()),
                    created == 0 ? "–" : String.format(Locale.ROOT, "%.1f KiB", growth / 1024.0 / created),
                    bytes(r.storeBytesAfterFleet()), bytes(r.storeBytesClosed()), bytes(r.storeBytesCompacted())));
        }
        return md.toString();
    }

    private static String row(String... cells) {
        return "| " + String.join(" | ", cells) + " |\n";
    }

    private static String clients(int n) {
        return n + (n == 1 ? " client" : " clients");
    }

    private static String threads(int n) {
        return n + (n == 1 ? " thread" : " threads");
    }

    private static String p(TimedRun.Result result, double percent) {
        return p(result.latencies(), percent);
    }

    private static String p(Latencies latencies, double percent) {
        return latencies.count() == 0 ? "–" : ms(latencies.percentile(percent));
    }

    static String ratio(double value, double baseline) {
        if (Double.isNaN(value) || Double.isNaN(baseline) || baseline == 0) {
            return "–";
        }
        double r = value / baseline;
        return String.format(Locale.ROOT, r < 0.1 ? "%.3f ×" : r < 10 ? "%.2f ×" : "%.1f ×", r);
    }

    static String rate(double perSecond) {
        if (Double.isNaN(perSecond)) {
            return "–";
        }
        return String.format(Locale.ROOT, perSecond < 100 ? "%.1f" : "%,.0f", perSecond);
    }

    /** Nanoseconds as milliseconds with about three significant digits. */
    static String ms(long nanos) {
        double ms = nanos / 1e6;
        return String.format(Locale.ROOT, ms < 1 ? "%.3f" : ms < 100 ? "%.2f" : "%.0f", ms);
    }

    private static String jitShare(long jitMillis, Duration period) {
        return jitMillis < 0 || period.isZero() ? "–"
                : String.format(Locale.ROOT, "%.0f", 100.0 * jitMillis / period.toMillis());
    }

    private static String cpuMs(double nanos) {
        return Double.isNaN(nanos) ? "–" : String.format(Locale.ROOT, nanos < 1e6 ? "%.3f" : "%.2f", nanos / 1e6);
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    private static String bytes(OptionalLong bytes) {
        return bytes.isPresent() ? mib(bytes.getAsLong()) : "–";
    }
}
