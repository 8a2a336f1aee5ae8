package dev.trellis.benchmarks.api;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs an operation in a closed loop on {@code n} threads for a warm-up and then a measured period. A call counts
 * (and its latency is kept) when it ends inside the measured period; throughput is those calls over the period's
 * length. Each thread has its own operation (its own client or connection), made before the clock starts.
 */
final class TimedRun {

    /** One thread's unit of work; {@code sequence} counts that thread's calls from 0. */
    @FunctionalInterface
    interface Operation {
        void call(long sequence) throws Exception;
    }

    /**
     * What a run measured. {@code errors} are calls that threw, during warm-up or measurement; {@code cpuNanos} is
     * the CPU time this whole JVM used during the measured period and {@code jitMillis} the time its JIT compilers
     * spent compiling then (-1 where the JVM cannot tell).
     */
    record Result(int threads, Duration measured, Latencies latencies, long errors, String firstError,
                  long cpuNanos, long jitMillis) {

        double perSecond() {
            return latencies.count() / (measured.toNanos() / 1e9);
        }

        /** CPU time of the JVM per counted call, in nanoseconds; NaN when unknown. */
        double cpuNanosPerCall() {
            return cpuNanos < 0 || latencies.count() == 0 ? Double.NaN : (double) cpuNanos / latencies.count();
        }
    }

    private TimedRun() {
    }

    static Result run(List<Operation> operations, Duration warmup, Duration measured) throws InterruptedException {
        int threads = operations.size();
        List<Latencies.Recorder> recorders = new ArrayList<>();
        AtomicLong errors = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Operation op = operations.get(i);
            Latencies.Recorder recorder = new Latencies.Recorder();
            recorders.add(recorder);
            Thread t = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                long measureFrom = window[0];
                long end = window[1];
                long sequence = 0;
                for (long start = System.nanoTime(); start < end; start = System.nanoTime()) {
                    try {
                        op.call(sequence++);
                    } catch (Exception e) {
                        errors.incrementAndGet();
                        firstError.compareAndSet(null, e.getClass().getSimpleName() + ": " + e.getMessage());
                        continue;
                    }
                    long done = System.nanoTime();
                    if (done >= measureFrom && done <= end) {
                        recorder.record(done - start);
                    }
                }
            }, "load-" + i);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
        ready.await();
        long now = System.nanoTime();
        window[0] = now + warmup.toNanos();
        window[1] = window[0] + measured.toNanos();
        go.countDown(); // publishes window[] to the workers (happens-before through the latch)
        sleepUntil(window[0]);
        long cpuFrom = processCpuNanos();
        long jitFrom = jitMillis();
        sleepUntil(window[1]);
        long cpuTo = processCpuNanos();
        long jitTo = jitMillis();
        for (Thread t : workers) {
            t.join();
        }
        return new Result(threads, measured, Latencies.of(recorders), errors.get(), firstError.get(),
                cpuFrom < 0 || cpuTo < 0 ? -1 : cpuTo - cpuFrom, jitTo < 0 ? -1 : jitTo - jitFrom);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        for (long left = nanoTime - System.nanoTime(); left > 0; left = nanoTime - System.nanoTime()) {
            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        }
    }

    /**
     * Milliseconds the JIT compilers have spent compiling so far, or -1. The JVM counts elapsed time, so a compiler
     * thread waiting for a CPU counts too: on a busy machine this shows a backlog of compilation.
     */
    static long jitMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    /** CPU time of this JVM so far (all threads: clients, server, an embedded database), or -1. */
    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
