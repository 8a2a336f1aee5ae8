package dev.trellis.benchmarks.wrk;

import java.util.Map;

/**
 * One thing wrk is pointed at: the backend itself, or a proxy in front of it. A scenario is one small class: it
 * starts its proxy (listening on {@link BenchContext#proxyPort()}, forwarding to {@link BenchContext#backendPort()})
 * and says which headers the request carries. The harness does the rest (warm-up, measured runs, pacing, table).
 */
interface Scenario {

    /** Short name used by {@code --only} and in the table. */
    String name();

    /** One line for the report: what runs and how it is configured. */
    String description();

    /** Why the scenario cannot run on this build, or null when it can. */
    default String unavailableReason() {
        return null;
    }

    /**
     * Starts what wrk will talk to and waits until it listens.
     *
     * @return the running proxy, stopped by the harness after the scenario; {@link Running#port()} is where wrk
     *     connects
     */
    Running start(BenchContext context) throws Exception;

    /** The headers of the request, made right before each wrk run (signatures expire). */
    default Map<String, String> requestHeaders() {
        return LuaScripts.plainHeaders();
    }

    /**
     * A started scenario: where wrk connects, the proxy's process id (its CPU time is measured; -1 when there is
     * no proxy), and how to stop it.
     */
    record Running(int port, long pid, AutoCloseable stop) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            stop.close();
        }
    }
}
