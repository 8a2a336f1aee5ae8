package dev.trellis.benchmarks.gateway;

import io.netty.channel.EventLoop;
import java.util.concurrent.TimeUnit;

/**
 * Measures how long the gateway's event loop could not run a task that was due: a task every millisecond that
 * records how late it ran. A loop that is stopped (a GC pause, the thread waiting for a CPU, work blocking the loop)
 * runs the next tick late by as long as the stop lasted; a loop that only serves requests runs it late by at most
 * one turn of I/O. This is the gateway's own pause, apart from what the benchmark's client, which shares the
 * machine, adds to the latencies it sees.
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

        Window(String name) {
            this.name = name;
        }

        private void record(long delayNanos) {
            ticks++;
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
        window.record(Math.max(0, now - due));
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
    }
}
