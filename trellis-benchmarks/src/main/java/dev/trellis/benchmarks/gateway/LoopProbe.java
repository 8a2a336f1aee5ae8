package dev.trellis.benchmarks.gateway;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Measures how long the gateway's event loop could not run a task that was due: a task every millisecond that
 * records how late it ran. A loop that is stopped (a GC pause, the thread waiting for a CPU, work blocking the loop)
 * runs the next tick late by as long as the stop lasted; a loop that only serves requests runs it late by at most
 * one turn of I/O. This is the gateway's own pause, apart from what the benchmark's client, which shares the
 * machine, adds to the latencies it sees.
 *
 * <p>Where Linux's scheduler statistics can be read ({@code /proc/thread-self/schedstat}, read on the loop at every
 * tick without allocating), the probe also says what the loop's thread did during the longest delay: how long it
 * waited for a CPU (it could run, other threads had the cores), how long it ran (work on the loop, or in the
 * kernel), and the rest, when it was stopped (a safepoint: a collection) or asleep past its due time.
 */
final class LoopProbe implements AutoCloseable {

    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** The ticks of one stretch of time. Written by the probed loop only; read after {@link #switchTo} another. */
    static final class Window {
        private final String name;
        private long ticks;
        private long maxDelayNanos;
        private long over5Millis;
        private long over10Millis;
        /** During the interval that ended with the latest tick: the thread's wait for a CPU and its run time. */
        private long longestWaitNanos = -1;
        private long longestRunNanos = -1;
        /** When the longest delay's tick ran ({@code System.nanoTime()}). */
        private long longestAtNanos;

        Window(String name) {
            this.name = name;
        }

        private void record(long atNanos, long delayNanos, long waitNanos, long runNanos) {
            ticks++;
            if (delayNanos > maxDelayNanos || ticks == 1) {
                longestWaitNanos = waitNanos;
                longestRunNanos = runNanos;
                longestAtNanos = atNanos;
            }
            maxDelayNanos = Math.max(maxDelayNanos, delayNanos);
            if (delayNanos > 5_000_000) {
                over5Millis++;
            }
            if (delayNanos > 10_000_000) {
                over10Millis++;
            }
        }

        String name() {
            return name;
        }

        long ticks() {
            return ticks;
        }

        double maxDelayMillis() {
            return maxDelayNanos / 1e6;
        }

        /**
         * Of the longest delay's interval (the period plus the delay): how long the loop's thread waited for a CPU,
         * in ms; negative where the scheduler's statistics cannot be read.
         */
        double longestWaitMillis() {
            return longestWaitNanos / 1e6;
        }

        /** When the longest delay ended, and how long it was: {@code [start, end]} in {@code System.nanoTime()}. */
        long[] longestDelayNanos() {
            return new long[] {longestAtNanos - maxDelayNanos, longestAtNanos};
        }

        /** Of the longest delay's interval: how long the loop's thread ran, in ms; negative where unknown. */
        double longestRunMillis() {
            return longestRunNanos / 1e6;
        }

        /** Ticks that ran more than 5 ms late. */
        long over5Millis() {
            return over5Millis;
        }

        /** Ticks that ran more than 10 ms late. */
        long over10Millis() {
            return over10Millis;
        }
    }

    private final EventLoop loop;
    private final Schedstat schedstat = new Schedstat();
    private long lastWait = -1;
    private long lastRun = -1;
    private Window window;
    private volatile boolean running = true;
    private long due;

    private LoopProbe(EventLoop loop) {
        this.loop = loop;
    }

    /** Starts ticking on {@code loop}, recording into {@code first}. */
    static LoopProbe start(EventLoop loop, Window first) {
        LoopProbe probe = new LoopProbe(loop);
        loop.submit(() -> {
            probe.window = first;
            probe.due = System.nanoTime() + PERIOD_NANOS;
            loop.schedule(probe::tick, PERIOD_NANOS, TimeUnit.NANOSECONDS);
        }).syncUninterruptibly();
        return probe;
    }

    private void tick() {
        long now = System.nanoTime();
        long waited = -1;
        long ran = -1;
        if (schedstat.read()) {
            if (lastWait >= 0) {
                waited = schedstat.waitNanos - lastWait;
                ran = schedstat.runNanos - lastRun;
            }
            lastWait = schedstat.waitNanos;
            lastRun = schedstat.runNanos;
        }
        window.record(now, Math.max(0, now - due), waited, ran);
        if (running) {
            due = now + PERIOD_NANOS;
            loop.schedule(this::tick, PERIOD_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Records into {@code next} from now on. The switch is made on the loop, and waited for, so that the window left
     * may be read once this returns.
     */
    void switchTo(Window next) {
        loop.submit(() -> window = next).syncUninterruptibly();
    }

    @Override
    public void close() {
        running = false;
        try {
            loop.execute(schedstat::close);
        } catch (RejectedExecutionException e) {
            schedstat.close();
        }
    }

    /**
     * The calling thread's line of {@code /proc/thread-self/schedstat}: nanoseconds run, nanoseconds waited on a run
     * queue, time slices. Opened by the first {@link #read()} (so on the thread it describes), then read again in
     * place each time.
     */
    private static final class Schedstat {
        private final ByteBuffer buffer = ByteBuffer.allocate(128);
        private FileChannel channel;
        private boolean unavailable;
        long runNanos;
        long waitNanos;

        /** Reads the figures; false where they cannot be read (not Linux, no schedstats). */
        boolean read() {
            if (unavailable) {
                return false;
            }
            try {
                if (channel == null) {
                    channel = FileChannel.open(Path.of("/proc/thread-self/schedstat"), StandardOpenOption.READ);
                }
                buffer.clear();
                channel.read(buffer, 0);
                buffer.flip();
                runNanos = number();
                waitNanos = number();
                return true;
            } catch (IOException | RuntimeException e) {
                unavailable = true;
                close();
                return false;
            }
        }

        private long number() {
            while (buffer.hasRemaining() && buffer.get(buffer.position()) == ' ') {
                buffer.get();
            }
            long value = 0;
            int digits = 0;
            while (buffer.hasRemaining() && Character.isDigit(buffer.get(buffer.position()))) {
                value = value * 10 + (buffer.get() - '0');
                digits++;
            }
            if (digits == 0) {
                throw new IllegalStateException("schedstat is not three numbers");
            }
            return value;
        }

        void close() {
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException e) {
                // nothing to keep: the probe is done
            }
        }
    }
}
