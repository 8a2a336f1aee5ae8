package dev.trellis.benchmarks.wrk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time a process and its descendants used, from {@code /proc/<pid>/stat} (user + system). On a shared
 * machine a proxy's throughput depends on how much of its CPU other work takes; the CPU it spends per request
 * does not, so it is the steadier figure for comparing proxies (nginx's master and worker, the gateway's whole JVM
 * with its JIT and GC threads: each proxy's whole cost).
 */
final class ProcessCpu {

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

    private static long ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            // Fields after the command (which may contain spaces) start after the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after the command.
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
