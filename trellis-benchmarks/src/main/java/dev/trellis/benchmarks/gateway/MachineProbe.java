package dev.trellis.benchmarks.gateway;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * How late the machine itself runs a thread that nothing in the benchmark competes with: a separate JVM, started at
 * real-time priority ({@code chrt -f}, so it preempts every thread of normal priority, the gateway's included),
 * that sleeps 1 ms again and again and prints each wake-up more than 2 ms late as {@code <nanoTime> <late nanos>}.
 * {@code System.nanoTime()} is the machine's monotonic clock, the same in both JVMs. A delay of the gateway's loop
 * that this process suffered at the same moment was a stall of the machine (the virtual machine descheduled, or a
 * stretch of kernel work that nothing preempts), not a pause of the gateway: no thread of the gateway's, nor a
 * collection, can hold up a real-time process.
 *
 * <p>{@link #start} runs it where {@code chrt} may give real-time priority (root); elsewhere there is no probe.
 */
final class MachineProbe implements AutoCloseable {

    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long REPORTED_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    /** One late wake-up: when it woke and how late. */
    record Stall(long atNanos, long lateNanos) {
    }

    private final Process process;
    private final List<Stall> stalls = new ArrayList<>();
    /** Counted down when the probe's process says it is ticking ({@link #ticking}), or when it ended. */
    private final CountDownLatch ready = new CountDownLatch(1);
    private volatile boolean ticking;

    private MachineProbe(Process process) {
        this.process = process;
        Thread reader = new Thread(this::read, "machine-probe-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * The probe at real-time priority, ticking when this returns; or null (with why on standard error) where it
     * cannot run.
     */
    static MachineProbe start() {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = List.of("chrt", "-f", "50", java, "-Xmx16m", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), MachineProbe.class.getName());
        try {
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            MachineProbe probe = new MachineProbe(process);
            if (probe.ready.await(20, TimeUnit.SECONDS) && probe.ticking) {
                return probe;
            }
            process.destroy();
            System.err.println("bench snapshot-memory: no real-time machine probe (" + (probe.ticking
                    || process.isAlive() ? "it did not start within 20 s" : "chrt -f 50 failed: it needs root")
                    + ")");
            return null;
        } catch (IOException e) {
            System.err.println("bench snapshot-memory: no real-time machine probe (" + e.getMessage() + ")");
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.US_ASCII))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.equals("ready")) {
                    ticking = true;
                    ready.countDown();
                    continue;
                }
                String[] fields = line.split(" ");
                Stall stall = new Stall(Long.parseLong(fields[0]), Long.parseLong(fields[1]));
                synchronized (stalls) {
                    stalls.add(stall);
                }
            }
        } catch (IOException | RuntimeException e) {
            // the probe ended: what it reported stays
        } finally {
            ready.countDown();
        }
    }

    /**
     * The longest delay of the probe's wake-ups that overlapped {@code [fromNanos, toNanos]} (0 when none was more
     * than 2 ms late then).
     */
    long longestLateNanos(long fromNanos, long toNanos) {
        long longest = 0;
        synchronized (stalls) {
            for (Stall stall : stalls) {
                if (stall.atNanos() >= fromNanos && stall.atNanos() - stall.lateNanos() <= toNanos) {
                    longest = Math.max(longest, stall.lateNanos());
                }
            }
        }
        return longest;
    }

    /** The probe's process id. */
    long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.destroy();
    }

    /** The probe's own process: sleeps 1 ms at a time until its standard input closes. */
    public static void main(String[] args) {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // nothing is sent: the input only closes when the benchmark ends
                }
            } catch (IOException e) {
                // the same: the benchmark is gone
            }
            System.exit(0);
        }, "stdin");
        watcher.setDaemon(true);
        watcher.start();
        PrintStream out = System.out;
        out.println("ready");
        out.flush();
        long previous = System.nanoTime();
        while (true) {
            LockSupport.parkNanos(PERIOD_NANOS);
            long now = System.nanoTime();
            long late = now - previous - PERIOD_NANOS;
            if (late > REPORTED_NANOS) {
                out.println(String.format(Locale.ROOT, "%d %d", now, late));
                out.flush();
            }
            previous = now;
        }
    }
}
