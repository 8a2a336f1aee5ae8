package dev.trellis.benchmarks.api;

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

    /** What a run measured. {@code errors} are calls that threw, during warm-up or measurement. */
    record Result(int threads, Duration measured, Latencies latencies, long errors, String firstError) {

        double perSecond() {
            return latencies.count() / (measured.toNanos() / 1e9);
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
        for (Thread t : workers) {
            t.join();
        }
        return new Result(threads, measured, Latencies.of(recorders), errors.get(), firstError.get());
    }
}
