package dev.trellis.benchmarks.wrk;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time a process and its descendants used, from {@code /proc/<pid>/stat} (user + system). On a shared
 * machine a proxy's throughput depends on how much of its CPU other work takes; the CPU it spends per request
 * does not, so it is the steadier figure for comparing proxies (nginx's master and worker, the gateway's whole JVM
 * with its JIT and GC threads: each proxy's whole cost).
 */
public final class ProcessCpu {

    /** Linux reports stat times in clock ticks of 1/100 s on every architecture that matters here. */
    private static final double SECONDS_PER_TICK = 0.01;

    private ProcessCpu() {
    }

    /** Seconds of CPU used so far by {@code pid} and its descendants, or NaN when it cannot be read. */
    static double seconds(long pid) {
        if (pid <= 0) {
            return Double.NaN;
        }
        ProcessHandle root = ProcessHandle.of(pid).orElse(null);
        if (root == null) {
            return Double.NaN;
        }
        double total = ticks(pid);
        for (ProcessHandle child : (Iterable<ProcessHandle>) root.descendants()::iterator) {
            total += ticks(child.pid());
        }
        return total * SECONDS_PER_TICK;
    }

    /**
     * Seconds of CPU used so far by the JIT compiler threads ({@code C1/C2 CompilerThread*}) of {@code pid}, a JVM,
     * or NaN when they cannot be read. Part of {@link #seconds}: a JVM that is still compiling its request path
     * spends a large share of its CPU there, which says nothing about the steady state. Two gateway JVMs sharing
     * one core of a loaded machine were still compiling after a 45-second warm-up (half the first hop's CPU).
     */
    static double compilerSeconds(long pid) {
        Path tasks = Path.of("/proc", String.valueOf(pid), "task");
        long total = 0;
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
            for (Path thread : threads) {
                try {
                    if (Files.readString(thread.resolve("comm")).contains("CompilerThre")) {
                        total += ticksOf(Files.readString(thread.resolve("stat")));
                    }
                } catch (IOException | RuntimeException e) {
                    // The thread ended while we looked.
                }
            }
        } catch (IOException e) {
            return Double.NaN;
        }
        return total * SECONDS_PER_TICK;
    }

    /**
     * Seconds of CPU used so far by the threads of {@code pid}, by kind: the thread's name ({@code comm}, 15
     * characters) without the numbers it ends with, so a pool's threads add up ({@code GC Thread#0} and {@code #1}
     * are {@code GC Thread}; {@code trellis-io-2-1} is {@code trellis-io}). Threads that ended are not counted.
     */
    public static Map<String, Double> secondsByThreadKind(long pid) {
        Map<String, Double> byKind = new TreeMap<>();
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path thread : threads) {
                try {
                    String kind = Files.readString(thread.resolve("comm")).strip().replaceAll("([-#]?\\d+)+$", "");
                    byKind.merge(kind, ticksOf(Files.readString(thread.resolve("stat"))) * SECONDS_PER_TICK,
                            Double::sum);
                } catch (IOException | RuntimeException e) {
                    // The thread ended while we looked.
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return byKind;
    }

    private static long ticksOf(String stat) {
        // Fields after the command (which may contain spaces) start after the last ')'.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after the command.
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static long ticks(long pid) {
        try {
            return ticksOf(Files.readString(Path.of("/proc", String.valueOf(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
