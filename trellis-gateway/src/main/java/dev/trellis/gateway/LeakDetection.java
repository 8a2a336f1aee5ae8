package dev.trellis.gateway;

import io.netty.util.ResourceLeakDetector;

/**
 * Netty's buffer-leak detection in a running Trellis process: off, unless {@code -Dio.netty.leakDetection.level}
 * asks for a level.
 *
 * <p>Netty's default ({@code SIMPLE}) tracks one buffer in 128 with a recorded stack trace and wraps it; on the
 * gateway's request path that cost 9–10 % of its throughput in {@code ./bench wrk} (docs/benchmarks.md, wrk twelfth
 * run). It is a debugging aid, so the processes' entry points turn it off, and the test suites, which do not start
 * through them, keep Netty's default and so still report a leaked buffer.
 */
public final class LeakDetection {

    static final String PROPERTY = "io.netty.leakDetection.level";

    private LeakDetection() {
    }

    /** Turns leak detection off unless {@value #PROPERTY} is set; true when it turned it off. */
    public static boolean offUnlessConfigured() {
        if (System.getProperty(PROPERTY) != null) {
            return false;
        }
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        return true;
    }
}
