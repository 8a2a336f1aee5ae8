package dev.trellis.benchmarks.api;

import java.util.Arrays;
import java.util.List;

/**
 * The latencies of one measured run, in nanoseconds, sorted once; percentiles by the nearest-rank method (the
 * smallest recorded value that at least {@code p}% of all values are less than or equal to), so every figure
 * reported is a latency that was actually observed.
 */
final class Latencies {

    private final long[] sorted;

    private Latencies(long[] sorted) {
        this.sorted = sorted;
    }

    /** All values of {@code recorders}, merged. */
    static Latencies of(List<Recorder> recorders) {
        int size = 0;
        for (Recorder r : recorders) {
            size += r.size;
        }
        long[] all = new long[size];
        int at = 0;
        for (Recorder r : recorders) {
            System.arraycopy(r.values, 0, all, at, r.size);
            at += r.size;
        }
        Arrays.sort(all);
        return new Latencies(all);
    }

    static Latencies of(long... nanos) {
        Recorder r = new Recorder();
        for (long n : nanos) {
            r.record(n);
        }
        return of(List.of(r));
    }

    int count() {
        return sorted.length;
    }

    /**
     * The {@code percent}-th percentile (0 &lt; percent &le; 100), nearest rank.
     *
     * @throws IllegalStateException when nothing was recorded
     */
    long percentile(double percent) {
        if (!(percent > 0 && percent <= 100)) {
            throw new IllegalArgumentException("a percentile is in (0, 100], not " + percent);
        }
        if (sorted.length == 0) {
            throw new IllegalStateException("no latencies were recorded");
        }
        // The epsilon keeps p * n / 100 that should be whole (99.9 % of 1,000) from rounding up a rank.
        int rank = (int) Math.ceil(percent * sorted.length / 100.0 - 1e-9);
        return sorted[Math.max(rank, 1) - 1];
    }

    long max() {
        return percentile(100);
    }

    /**
     * Collects the latencies of one worker thread; not thread-safe. Growing a plain array costs nothing measurable
     * next to an API call or a commit, and keeps every value (no histogram buckets).
     */
    static final class Recorder {
        private long[] values = new long[4096];
        private int size;

        void record(long nanos) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = nanos;
        }

        int size() {
            return size;
        }
    }
}
