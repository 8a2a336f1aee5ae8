package dev.trellis.benchmarks.wrk;

import dev.trellis.benchmarks.gateway.BenchBackend;
import dev.trellis.benchmarks.gateway.BenchSnapshots;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./bench wrk}: the gateway against nginx and HAProxy on this machine, in one run, all proxying to the same
 * backend ({@link BenchBackend}), plus the direct baseline; then the performance targets, as ratios to
 * nginx measured in the same run.
 *
 * <p>Per scenario: start it, a warm-up in two wrk runs (not counted, {@link #warmUp}), a maximum-throughput run;
 * for nginx and the plain gateway also a run paced at 50 % of nginx's maximum rate, whose p99 is compared
 * ({@link LuaScripts} says how the pacing works). wrk uses one thread and the same number of keep-alive connections
 * everywhere. The report goes to standard output and {@code <work dir>/report.md}; wrk's own outputs,
 * configurations and logs stay in the work directory.
 */
public final class WrkHarness {

    private static final Duration CALIBRATION = Duration.ofSeconds(4);
    /** The unmeasured run before each interleaved measured one ({@link #settle}). */
    private static final Duration SETTLE = Duration.ofSeconds(3);
    private static final int CALIBRATION_STEPS = 7;
    private static final int PACE_TOLERANCE_PERCENT = 3;
    /** Measured paced runs at most, when one misses the rate by more than {@link Paced#ON_PACE}. */
    private static final int PACED_ATTEMPTS = 3;

    private final WrkOptions options;
    private final BenchContext context;
    /** Per scenario, one result per round. */
    private final Map<String, List<WrkResult>> max = new LinkedHashMap<>();
    private final Map<String, List<Paced>> paced = new LinkedHashMap<>();
    private final Map<String, String> notRun = new LinkedHashMap<>();
    private final Map<String, String> descriptions = new LinkedHashMap<>();
    private final Map<String, String> baselines = new LinkedHashMap<>();

    /** A paced run: the rate asked for, the delay that was used, and what wrk measured. */
    record Paced(double targetRate, double delayMillis, WrkResult result) {

        /** How far off the achieved rate may be for the run's p99 to be judged: 10 %. */
        static final double ON_PACE = 0.10;

        /** The achieved rate over the rate asked for. */
        double achievedShare() {
            return result.requestsPerSecond() / targetRate;
        }

        /** Whether the run achieved the rate asked for, within {@link #ON_PACE}. */
        boolean onPace() {
            return Math.abs(achievedShare() - 1) <= ON_PACE;
        }
    }

    private WrkHarness(WrkOptions options) {
        this.options = options;
        this.context = new BenchContext(options);
    }

    public static void main(String[] args) throws Exception {
        WrkOptions options;
        try {
            options = WrkOptions.parse(args);
        } catch (WrkOptions.UsageException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Files.createDirectories(options.workDir());
        System.out.println(new WrkHarness(options).run());
    }

    private String run() throws Exception {
        String loadBefore = loadAverage();
        Instant started = Instant.now();
        log("backend: " + BenchBackend.class.getSimpleName() + " on 127.0.0.1:" + context.backendPort()
                + (options.pin() ? ", pinned to CPU " + BenchContext.LOAD_CPU + " with wrk" : ""));
        try (ManagedProcess backend = ManagedProcess.start("backend", context.loadCommand(context.java(
                List.of("-Xms256m", "-Xmx256m"), BenchBackend.class.getName(),
                List.of(String.valueOf(context.backendPort())))), options.workDir().resolve("backend.out"),
                context.backendPort())) {
            List<Scenario> scenarios = runnable();
            if (options.interleave()) {
                runInterleaved(scenarios);
            } else {
                for (int round = 1; round <= options.rounds(); round++) {
                    logRound(round);
                    for (Scenario scenario : scenarios) {
                        runScenario(scenario, round);
                    }
                }
            }
        }
        String report = Report.render(options, max, paced, notRun, descriptions, baselines, loadBefore, loadAverage(),
                Duration.between(started, Instant.now()));
        Files.writeString(options.workDir().resolve("report.md"), report);
        return report;
    }

    /** The selected scenarios that can run here, in order; the others are reported as not run. */
    private List<Scenario> runnable() {
        List<Scenario> runnable = new ArrayList<>();
        for (Scenario scenario : Scenarios.all(options)) {
            if (!options.selected(scenario.name())) {
                continue;
            }
            descriptions.put(scenario.name(), scenario.description());
            baselines.put(scenario.name(), scenario.baseline());
            String unavailable = scenario.unavailableReason();
            if (unavailable != null) {
                log(scenario.name() + ": " + unavailable);
                notRun.put(scenario.name(), unavailable);
            } else {
                runnable.add(scenario);
            }
        }
        return runnable;
    }

    private void logRound(int round) {
        if (options.rounds() > 1) {
            log("round " + round + " of " + options.rounds() + " (load average " + loadAverage() + ")");
        }
    }

    private void runScenario(Scenario scenario, int round) throws Exception {
        log(scenario.name() + ": starting (" + scenario.description() + ")");
        try (Scenario.Running running = scenario.start(context)) {
            warmUp(label(scenario, round), running, scenario);
            measureMax(scenario, running, round);
            measurePaced(scenario, running, round);
        }
    }

    /**
     * {@code --interleave}: every scenario started once, side by side, each in its own slot of ports (its place
     * in {@link Scenarios#all}) and warmed up; then per round the maximum-throughput runs of all of them back to
     * back, each after a {@link #settle} run, then the paced runs, in the order of {@link #interleavedOrder}. A
     * scenario waits idle while another is measured (all proxies share the proxy CPU; an idle one takes none of
     * it), so a ratio compares runs seconds apart: on a machine whose speed drifts over minutes, the drift moves
     * both sides of it alike.
     */
    private void runInterleaved(List<Scenario> scenarios) throws Exception {
        List<Scenario> all = Scenarios.all(options);
        List<Scenario.Running> running = new ArrayList<>();
        try {
            for (Scenario scenario : scenarios) {
                BenchContext slot = context.inSlot(indexOf(all, scenario));
                log(scenario.name() + ": starting on port " + slot.proxyPort() + " (" + scenario.description() + ")");
                running.add(scenario.start(slot));
                warmUp(scenario.name(), running.get(running.size() - 1), scenario);
            }
            for (int round = 1; round <= options.rounds(); round++) {
                logRound(round);
                for (int i : interleavedOrder(scenarios.size(), round)) {
                    settle(scenarios.get(i), running.get(i), round);
                    measureMax(scenarios.get(i), running.get(i), round);
                }
                for (int i : interleavedOrder(scenarios.size(), round)) {
                    measurePaced(scenarios.get(i), running.get(i), round);
                }
            }
        } finally {
            // Every started scenario is stopped, even when stopping another one fails.
            for (int i = running.size() - 1; i >= 0; i--) {
                try {
                    running.get(i).close();
                } catch (Exception e) {
                    log(scenarios.get(i).name() + ": stopping it failed: " + e);
                }
            }
        }
    }

    /**
     * The scenarios' order in an interleaved round: as listed in odd rounds, reversed in even ones. A machine that
     * speeds up or slows down steadily over a round then favours the scenarios listed first in one round and those
     * listed last in the next, instead of the same ones every round.
     */
    static List<Integer> interleavedOrder(int scenarios, int round) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < scenarios; i++) {
            order.add(round % 2 == 1 ? i : scenarios - 1 - i);
        }
        return order;
    }

    /**
     * An unmeasured {@link #SETTLE} run right before an interleaved scenario's measured one. The scenario sat idle
     * while the others ran, and wrk's first connections after that found the JVM proxies recompiling what their
     * reconnect runs through (0.5 µs of JIT CPU per request in the gateway's first measured run of the
     * twenty-second run, docs/benchmarks.md); this run takes that, and the reconnect itself, out of the measured one.
     */
    private void settle(Scenario scenario, Scenario.Running running, int round) throws Exception {
        unmeasured("settling run", label(scenario, round) + "-settle", running, scenario, SETTLE);
    }

    private static int indexOf(List<Scenario> all, Scenario scenario) {
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).name().equals(scenario.name())) {
                return i;
            }
        }
        throw new IllegalArgumentException(scenario.name());
    }

    private String label(Scenario scenario, int round) {
        return options.rounds() > 1 ? scenario.name() + "-r" + round : scenario.name();
    }

    private void measureMax(Scenario scenario, Scenario.Running running, int round) throws Exception {
        String name = scenario.name();
        log(name + ": maximum throughput, " + options.duration().toSeconds() + " s");
        double cpuBefore = running.cpuSeconds();
        double jitBefore = running.compilerSeconds();
        WrkResult result = wrk(label(scenario, round) + "-max", running.port(), scenario, 0, options.duration())
                .withProxyCpuSeconds(running.cpuSeconds() - cpuBefore);
        double jitMicros = (running.compilerSeconds() - jitBefore) * 1e6 / Math.max(1, result.requests());
        max.computeIfAbsent(name, k -> new ArrayList<>()).add(result);
        // The JIT's share tells whether the warm-up was long enough for the CPU figure to be the steady state.
        log(name + ": " + Report.rate(result.requestsPerSecond()) + " req/s, p99 " + Report.ms(result.p99Micros())
                + (Double.isNaN(result.proxyCpuMicrosPerRequest()) ? "" : String.format(Locale.ROOT,
                ", proxy CPU %.1f µs/request", result.proxyCpuMicrosPerRequest()))
                + (Double.isNaN(jitMicros) || jitMicros <= 0 ? "" : String.format(Locale.ROOT,
                " (JIT compiler threads %.1f of it)", jitMicros)));
    }

    /** nginx's and the plain gateway's run paced at 50 % of this round's nginx maximum (or at --pace-rate). */
    private void measurePaced(Scenario scenario, Scenario.Running running, int round) throws Exception {
        String name = scenario.name();
        String label = label(scenario, round);
        // This round's nginx sets the pace: nginx and the gateway of one round saw the same machine.
        List<WrkResult> nginx = max.getOrDefault(Scenarios.NGINX, List.of());
        // --pace-rate fixes the rate instead (A/B runs of two builds, the gateway without nginx).
        boolean pacedScenario = name.equals(Scenarios.NGINX) || name.equals(Scenarios.GATEWAY);
        if (pacedScenario && options.paceRate() > 0) {
            paced.computeIfAbsent(name, k -> new ArrayList<>()).add(pacedRun(label, running.port(), scenario,
                    options.paceRate()));
        } else if (pacedScenario && nginx.size() == round) {
            paced.computeIfAbsent(name, k -> new ArrayList<>()).add(pacedRun(label, running.port(), scenario,
                    nginx.get(round - 1).requestsPerSecond() / 2));
        }
    }

    /**
     * The unmeasured runs before the measured ones: {@link #warmUpRuns} wrk runs that together take the warm-up's
     * time, so that wrk's connections close and new ones open once under load before the measured run opens its
     * own. The first time a JVM proxy sees that after a long steady state, C2 throws away the request path it
     * compiled without those paths (the connection's close, a new pipeline) and compiles it again, with the
     * measured run under way; in the fifteenth run that was 0.4–0.9 µs of JIT CPU per request for the gateway and
     * 1.7–2.8 µs for the fabric's first hop, a tenth of its CPU (docs/benchmarks.md, sixteenth run). The second
     * reconnect finds them compiled.
     */
    private void warmUp(String label, Scenario.Running running, Scenario scenario) throws Exception {
        List<Duration> runs = warmUpRuns(options.warmup());
        for (int i = 0; i < runs.size(); i++) {
            String run = label + "-warmup" + (i == 0 ? "" : "-" + (i + 1));
            log(scenario.name() + ": warm-up " + (i + 1) + "/" + runs.size() + ", " + runs.get(i).toSeconds() + " s");
            unmeasured("warm-up", run, running, scenario, runs.get(i));
        }
    }

    /** A wrk run whose figures count for nothing; errors in it are logged as "{@code what} had …". */
    private void unmeasured(String what, String run, Scenario.Running running, Scenario scenario, Duration duration)
            throws Exception {
        WrkResult result = wrk(run, running.port(), scenario, 0, duration);
        if (!result.clean()) {
            log(scenario.name() + ": " + what + " had " + result.problems() + " (see " + run + ".txt)");
        }
    }

    /** The warm-up in two runs, three quarters and one quarter of it; one run when it is shorter than 8 s. */
    static List<Duration> warmUpRuns(Duration warmup) {
        if (warmup.compareTo(Duration.ofSeconds(8)) < 0) {
            return List.of(warmup);
        }
        Duration second = Duration.ofSeconds(warmup.toSeconds() / 4);
        return List.of(warmup.minus(second), second);
    }

    /**
     * A run at {@code rate} requests/s. wrk paces each connection with a delay before every request, in whole
     * milliseconds (the script takes the floor or the ceiling of the mean delay at random), and a connection's cycle
     * is that delay plus the response time plus the slack of wrk's timers, which all change with the load: the rate
     * is not a simple function of the delay. Short calibration runs therefore search for it by bisection — the rate
     * falls as the delay grows, and at the per-connection interval it is at most {@code rate} — until one run comes
     * within {@value #PACE_TOLERANCE_PERCENT} % of {@code rate}, or {@value #CALIBRATION_STEPS} runs have been made;
     * the measured run takes the delay that came closest. The same delay does not always give the same rate (at
     * 64 connections and ~40,000 req/s a connection's cycle is 1.5 ms, as short as wrk's delay granularity and its
     * timers' slack): a measured run that misses the rate by more than {@link Paced#ON_PACE} is followed by another
     * at the next bisection step, up to {@value #PACED_ATTEMPTS} in all, and the one closest to the rate counts (by
     * the rate achieved, never by its latency). Its achieved rate is reported beside it, and the p99 target is judged
     * only when both paced runs achieved the rate ({@link Report}).
     */
    private Paced pacedRun(String name, int port, Scenario scenario, double rate) throws Exception {
        double interval = options.connections() * 1000.0 / rate;
        DelaySearch search = new DelaySearch(interval);
        double delay = interval / 2;
        double best = interval;
        double bestError = Double.MAX_VALUE;
        for (int step = 1; step <= CALIBRATION_STEPS; step++) {
            WrkResult calibration = wrk(name + "-pace-calibration-" + step, port, scenario, delay, CALIBRATION);
            double achieved = calibration.requestsPerSecond();
            double error = Math.abs(achieved / rate - 1);
            log(String.format(Locale.ROOT, "%s: calibrating the pace for %s req/s: delay %.3f ms per connection "
                    + "gave %s req/s", name, Report.rate(rate), delay, Report.rate(achieved)));
            if (error < bestError) {
                best = delay;
                bestError = error;
            }
            if (error * 100 <= PACE_TOLERANCE_PERCENT) {
                break;
            }
            delay = search.next(delay, achieved > rate);
        }
        Paced closest = null;
        delay = best;
        for (int attempt = 1; attempt <= PACED_ATTEMPTS; attempt++) {
            log(name + ": paced run at " + Report.rate(rate) + " req/s, delay " + String.format(Locale.ROOT, "%.3f",
                    delay) + " ms, " + options.duration().toSeconds() + " s");
            WrkResult result = wrk(name + "-paced" + (attempt == 1 ? "" : "-" + attempt), port, scenario, delay,
                    options.duration());
            log(name + ": achieved " + Report.rate(result.requestsPerSecond()) + " req/s, p99 "
                    + Report.ms(result.p99Micros()));
            Paced run = new Paced(rate, delay, result);
            if (closest == null || Math.abs(run.achievedShare() - 1) < Math.abs(closest.achievedShare() - 1)) {
                closest = run;
            }
            if (run.onPace()) {
                break;
            }
            delay = search.next(delay, result.requestsPerSecond() > rate);
        }
        return closest;
    }

    /** The bisection of a paced run's delay between 0 and the per-connection interval (the rate falls as it grows). */
    private static final class DelaySearch {
        private double low;
        private double high;

        DelaySearch(double interval) {
            this.high = interval;
        }

        /** The next delay to try after {@code delay} ran {@code tooFast} (above the rate) or not. */
        double next(double delay, boolean tooFast) {
            if (tooFast) {
                low = delay;
            } else {
                high = delay;
            }
            return (low + high) / 2;
        }
    }

    private WrkResult wrk(String label, int port, Scenario scenario, double delayMillis, Duration duration)
            throws IOException, InterruptedException {
        Path script = context.write(label + ".lua", LuaScripts.script(scenario.requestHeaders(), delayMillis,
                scenario.tls()));
        // Over TLS the URL's host is what wrk sends as SNI: the generated name, which the script resolves.
        String url = scenario.tls() ? "https://" + BenchSnapshots.HOST + ":" + port + "/"
                : "http://127.0.0.1:" + port + "/";
        List<String> command = context.loadCommand(List.of("wrk", "-t1", "-c" + options.connections(),
                "-d" + duration.toSeconds() + "s", "--timeout", "5s", "--latency", "-s",
                script.toAbsolutePath().toString(), url));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = process.waitFor();
        context.write(label + ".txt", String.join(" ", command) + "\n\n" + output);
        if (exit != 0) {
            throw new IOException("wrk exited with " + exit + " for " + label + ":\n" + output);
        }
        return WrkResult.parse(output);
    }

    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void log(String message) {
        System.err.println("bench wrk: " + message);
    }

    /** For the report: tool versions, one line each. */
    static List<String> versions() {
        List<String> lines = new ArrayList<>();
        lines.add("java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        for (List<String> command : List.of(List.of("nginx", "-v"), List.of("haproxy", "-v"), List.of("wrk", "-v"))) {
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor();
                lines.add(out.lines().findFirst().orElse(command.get(0) + ": no version").trim());
            } catch (IOException | InterruptedException e) {
                lines.add(command.get(0) + ": " + e.getMessage());
            }
        }
        return lines;
    }
}
